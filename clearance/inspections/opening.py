"""Opening control tasks from the pipeline (routing, amendments, consolidation after a review).

Every function here runs in the caller's transaction, under the declaration's row lock, and is
idempotent: a control is opened once (the partial unique constraints of ``ControlTask`` say so too).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import AgencyReview, ReviewStatus
from agencies.routing import customs_agency
from declarations.models import Declaration
from singlewindow.audit import ACTION_LABELS, AuditEntry, audit_log_many

from ..models import (
    ControlKind,
    ControlOutcome,
    ControlStatus,
    ControlTask,
    InspectionStatus,
    JointInspection,
    RiskAssessment,
)
from .rules import LANE_CONTROL

ACTION_LABELS.update(
    {
        "clearance.control.opened": _("Control opened"),
        "clearance.control.superseded": _("Documentary check replaced by a physical inspection"),
        "clearance.control.decided": _("Documentary check recorded"),
        "clearance.control.renewed": _("Control opened again for the resubmitted declaration"),
        "clearance.inspection.scheduled": _("Joint inspection scheduled"),
        "clearance.inspection.rescheduled": _("Joint inspection rescheduled"),
        "clearance.inspection.cancelled": _("Joint inspection cancelled"),
        "clearance.inspection.finding_recorded": _("Inspection findings recorded"),
        "clearance.inspection.completed": _("Joint inspection completed"),
    }
)


def controls_open(
    *,
    declaration: Declaration,
    assessment: RiskAssessment | None = None,
    reviews: Iterable[AgencyReview] | None = None,
) -> list[ControlTask]:
    """Open the controls the declaration needs and does not have yet; returns those opened now.

    Customs' lane control: yellow → a documentary check, red → a physical inspection (a red lane
    reached by an amendment replaces a documentary check still to do). Each review whose agency
    required an inspection → a physical task for that agency, linked to the review. A physical task
    opened while an inspection is scheduled joins it. ``assessment`` None: read
    ``declaration.risk`` (none: green). ``reviews`` None: read the declaration's standing ones.
    """
    if assessment is None:
        assessment = RiskAssessment.objects.filter(declaration_id=declaration.pk).first()
    if reviews is None:
        reviews = declaration.reviews.filter(
            status=ReviewStatus.INSPECTION_REQUIRED, withdrawn_at__isnull=True
        ).select_related("agency")
    inspecting = [r for r in reviews if r.requires_inspection and r.withdrawn_at is None]
    kind = LANE_CONTROL.get(assessment.lane) if assessment is not None else None
    if kind is None and not inspecting:
        return []
    existing = list(
        ControlTask.objects.filter(declaration_id=declaration.pk).exclude(status=ControlStatus.CANCELLED)
    )
    now = timezone.now()
    events: list[AuditEntry] = []
    new: list[ControlTask] = []
    if kind is not None and not any(t.review_id is None and t.kind == kind for t in existing):
        if kind == ControlKind.PHYSICAL:
            superseded = [
                t
                for t in existing
                if t.review_id is None
                and t.kind == ControlKind.DOCUMENTARY
                and t.status == ControlStatus.OPEN
            ]
            for task in superseded:
                ControlTask.objects.filter(pk=task.pk, status=ControlStatus.OPEN).update(
                    status=ControlStatus.CANCELLED, completed_at=now
                )
                events.append(
                    AuditEntry(
                        action="clearance.control.superseded",
                        obj=task,
                        data={"declaration": declaration.pk, "kind": task.kind},
                    )
                )
        reasons = (
            "; ".join(
                str(r.get("reason") or r.get("name") or "")
                for r in (assessment.reasons or [])
                if isinstance(r, dict)
            )
            if assessment is not None
            else ""
        )
        new.append(
            ControlTask(
                declaration=declaration,
                kind=kind,
                agency=customs_agency(),
                reason=(
                    _("Lane %(lane)s (score %(score)s)")
                    % {"lane": assessment.get_lane_display(), "score": assessment.score}
                )
                + (f": {reasons}" if reasons else "")
                if assessment is not None
                else "",
            )
        )
    have_review = {t.review_id for t in existing if t.review_id is not None}
    for review in inspecting:
        if review.pk in have_review:
            continue
        new.append(
            ControlTask(
                declaration=declaration,
                kind=ControlKind.PHYSICAL,
                agency=review.agency,
                review=review,
                reason=review.decision_reason
                or _("%(agency)s requires a physical inspection.") % {"agency": review.agency.name},
            )
        )
    if not new:
        audit_log_many(events)
        return []
    scheduled = (
        JointInspection.objects.filter(
            declaration_id=declaration.pk, status=InspectionStatus.SCHEDULED
        ).first()
        if any(t.kind == ControlKind.PHYSICAL for t in new)
        else None
    )
    for task in new:
        if scheduled is not None and task.kind == ControlKind.PHYSICAL:
            task.inspection = scheduled
            task.status = ControlStatus.SCHEDULED
    created = ControlTask.objects.bulk_create(new)
    events += [
        AuditEntry(
            action="clearance.control.opened",
            obj=task,
            data={
                "declaration": declaration.pk,
                "kind": task.kind,
                "agency": task.agency.code,
                "review": task.review_id,
                "inspection": task.inspection_id,
            },
        )
        for task in created
    ]
    audit_log_many(events)
    return created


def controls_renew_on_resubmission(*, declaration: Declaration) -> int:
    """A refused declaration resubmitted: customs' non-compliant lane control judged the earlier
    version, so it is cancelled (audited) and ``controls_open`` opens a new one for the
    new version; without this the resubmission is refused again at once, unchecked. Returns the
    number superseded. (Seized goods stay refused: a seizure is a finding, not a control.)"""
    stale = list(
        ControlTask.objects.filter(
            declaration_id=declaration.pk,
            review__isnull=True,
            status=ControlStatus.DONE,
            outcome=ControlOutcome.NON_COMPLIANT,
        )
    )
    ControlTask.objects.filter(pk__in=[t.pk for t in stale]).update(status=ControlStatus.CANCELLED)
    audit_log_many(
        AuditEntry(
            action="clearance.control.renewed",
            obj=task,
            data={"declaration": declaration.pk, "kind": task.kind, "version": declaration.version},
        )
        for task in stale
    )
    return len(stale)
