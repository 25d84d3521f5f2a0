"""What the controls let consolidation do: one read, no writes (``control_state``).

The lane rule: green → nothing to wait for; yellow → customs' documentary check done compliant;
red → customs' physical inspection done compliant. Every control still open (customs' or an
agency's) is waited for. A non-compliant customs control, or goods seized by any agency, refuses
the declaration. A declaration without a risk assessment (routed before risk management) is green.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from declarations.models import Declaration

from ..models import (
    ControlKind,
    ControlOutcome,
    ControlStatus,
    ControlTask,
    InspectionFinding,
    Lane,
    RiskAssessment,
)

LANE_CONTROL = {Lane.YELLOW.value: ControlKind.DOCUMENTARY.value, Lane.RED.value: ControlKind.PHYSICAL.value}
OPEN_CONTROL = (ControlStatus.OPEN, ControlStatus.SCHEDULED)


@dataclass(frozen=True)
class ControlRefusal:
    """Why the controls refuse the release (a non-compliant customs control, a seizure)."""

    agency_code: str
    agency_name: str
    reason: str


@dataclass(frozen=True)
class ControlState:
    lane: str
    tasks: list[ControlTask]
    waiting: list[ControlTask] = field(default_factory=list)
    refusals: list[ControlRefusal] = field(default_factory=list)
    cleared: bool = False

    @property
    def lane_task(self) -> ControlTask | None:
        """Customs' lane control (its kind for the lane), if opened."""
        kind = LANE_CONTROL.get(self.lane)
        return next((t for t in self.tasks if t.review_id is None and t.kind == kind), None)


def lane_of(declaration: Declaration) -> str:
    """The declaration's lane; green when it has no assessment (routed before risk management)."""
    lane = RiskAssessment.objects.filter(declaration_id=declaration.pk).values_list("lane", flat=True).first()
    return lane or Lane.GREEN.value


def control_state(declaration: Declaration, *, lane: str | None = None) -> ControlState:
    """The declaration's controls as consolidation reads them (two queries; three after findings)."""
    lane = lane if lane is not None else lane_of(declaration)
    tasks = list(
        ControlTask.objects.filter(declaration_id=declaration.pk)
        .exclude(status=ControlStatus.CANCELLED)
        .select_related("agency", "inspection")
        .order_by("created_at", "pk")
    )
    waiting = [t for t in tasks if t.status in OPEN_CONTROL]
    refusals = [
        ControlRefusal(
            t.agency.code,
            t.agency.name,
            _("%(control)s non-compliant: %(findings)s")
            % {"control": t.get_kind_display(), "findings": t.findings or _("no findings given")},
        )
        for t in tasks
        if t.agency.is_customs
        and t.status == ControlStatus.DONE
        and t.outcome == ControlOutcome.NON_COMPLIANT
    ]
    if any(t.inspection_id for t in tasks):
        seized = InspectionFinding.objects.filter(
            inspection__declaration_id=declaration.pk, seizure=True
        ).select_related("agency")
        refusals += [
            ControlRefusal(
                f.agency.code, f.agency.name, _("Goods seized: %(findings)s") % {"findings": f.findings}
            )
            for f in seized
        ]
    kind = LANE_CONTROL.get(lane)
    lane_done = kind is None or any(
        t.review_id is None
        and t.kind == kind
        and t.status == ControlStatus.DONE
        and t.outcome == ControlOutcome.COMPLIANT
        for t in tasks
    )
    return ControlState(
        lane=lane,
        tasks=tasks,
        waiting=waiting,
        refusals=refusals,
        cleared=lane_done and not waiting and not refusals,
    )
