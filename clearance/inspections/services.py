"""Controls, done by people: customs' documentary check, the joint inspection a supervisor
schedules, each attending agency's findings; then their outcomes (the trader's compliance history,
the rules' hit rates) and consolidation.

Every service locks the declaration row first (then the task or inspection), checks the state it
expects and changes it once (compare-and-set): recording twice, or two officers at once, records
one. Each runs consolidation in its transaction, so a compliant control releases at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Role, User
from agencies.access import may_decide_for
from agencies.models import Agency
from declarations.models import Declaration
from payments.money import quantize
from singlewindow.audit import AuditEntry, audit_log, audit_log_many
from singlewindow.errors import Conflict, DomainError, NotFound

from .. import services as pipeline
from ..models import (
    ComplianceEvent,
    ComplianceKind,
    ControlKind,
    ControlOutcome,
    ControlStatus,
    ControlTask,
    FindingPhoto,
    InspectionFinding,
    InspectionStatus,
    JointInspection,
    NotificationKind,
    RuleHit,
)
from .opening import controls_open
from .photos import CheckedPhoto

__all__ = [
    "controls_open",
    "documentary_decide",
    "finding_record",
    "inspection_cancel",
    "inspection_reschedule",
    "inspection_schedule",
]


class ControlConflict(Conflict):
    """The control is not open to this (recorded already, another state)."""


def _field_error(pointer: str, code: str, message: str) -> DomainError:
    return DomainError(code, message, errors=[{"pointer": pointer, "code": code, "message": message}])


def _lock(declaration_id: int) -> Declaration:
    declaration = Declaration.objects.select_for_update().filter(pk=declaration_id).first()
    if declaration is None:
        raise NotFound(_("No such declaration."))
    return declaration


def _open_declaration(declaration: Declaration) -> None:
    if not declaration.is_under_review:
        raise ControlConflict(
            "declaration_closed",
            _("Declaration %(mrn)s is %(status)s: its controls can no longer be changed.")
            % {"mrn": declaration.mrn, "status": declaration.get_status_display()},
        )


# Documentary check (yellow lane) ------------------------------------------------------------


@transaction.atomic(durable=True)
def documentary_decide(*, task: ControlTask, officer: User, outcome: str, findings: str = "") -> ControlTask:
    """A customs officer records the documentary check: compliant, or non-compliant with findings.

    Once: the task moves open → done in one conditional update (a second officer, or a second
    click, gets ``ControlConflict``). Then the outcome on the trader's history and the rules' hit
    rates, and consolidation (released, refused, or still waiting for something else).
    """
    if task.kind != ControlKind.DOCUMENTARY or not may_decide_for(officer, task.agency_id):
        raise NotFound(_("No such control."))
    if outcome not in ControlOutcome.values:
        raise _field_error("outcome", "invalid_outcome", _("Say whether the documents are compliant."))
    findings = (findings or "").strip()
    if outcome == ControlOutcome.NON_COMPLIANT and not findings:
        raise _field_error("findings", "findings_required", _("Say what is not compliant."))
    declaration = _lock(task.declaration_id)
    _open_declaration(declaration)
    now = timezone.now()
    updated = ControlTask.objects.filter(pk=task.pk, status=ControlStatus.OPEN).update(
        status=ControlStatus.DONE, outcome=outcome, findings=findings, completed_by=officer, completed_at=now
    )
    if not updated:
        raise ControlConflict("control_done", _("This documentary check has already been recorded."))
    task = ControlTask.objects.select_related("agency").get(pk=task.pk)
    audit_log(
        action="clearance.control.decided",
        obj=task,
        actor=officer,
        data={
            "declaration": declaration.pk,
            "outcome": outcome,
            "agency": task.agency.code,
            "reason": findings,
        },
    )
    _history_record(
        declaration,
        [
            ComplianceEvent(
                kind=ComplianceKind.INSPECTION_COMPLIANT
                if outcome == ControlOutcome.COMPLIANT
                else ComplianceKind.INSPECTION_NON_COMPLIANT,
                agency=task.agency,
                occurred_at=now,
                details=findings or _("Documentary check: compliant."),
                source=f"control:{task.pk}",
            )
        ],
    )
    _lane_control_ended(declaration)
    pipeline._consolidate(declaration)
    return task


# Joint inspection -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Appointment:
    scheduled_for: datetime
    place: str
    goods_location: str = ""
    instructions: str = ""
    contact: str = ""


def _is_supervisor(user: User) -> bool:
    return user.role in (Role.SUPERVISOR, Role.ADMIN)


def _check_appointment(appointment: Appointment) -> None:
    if appointment.scheduled_for <= timezone.now():
        raise _field_error("scheduled_for", "in_the_past", _("Choose a date and time in the future."))
    if not appointment.place.strip():
        raise _field_error("place", "place_required", _("Say where the goods are inspected."))


def _appointment_text(inspection: JointInspection) -> str:
    when = date_format(timezone.localtime(inspection.scheduled_for), "DATETIME_FORMAT")
    lines = [
        _("Declaration %(mrn)s: a physical inspection of the goods is scheduled for %(when)s at %(place)s.")
        % {"mrn": inspection.declaration.mrn, "when": when, "place": inspection.place}
    ]
    if inspection.goods_location:
        lines.append(_("Location of the goods: %(where)s") % {"where": inspection.goods_location})
    if inspection.instructions:
        lines.append(_("Please present: %(what)s") % {"what": inspection.instructions})
    if inspection.contact:
        lines.append(_("Contact: %(contact)s") % {"contact": inspection.contact})
    return "\n".join(lines)


@transaction.atomic(durable=True)
def inspection_schedule(
    *, declaration: Declaration, supervisor: User, appointment: Appointment
) -> JointInspection:
    """A supervisor schedules THE joint inspection of a declaration: every physical task still to
    be scheduled (customs' and each agency's) is attached to it; the trader is told where, when and
    what to present (portal and e-mail). One scheduled inspection per declaration: a second is a
    conflict (reschedule it instead)."""
    if not _is_supervisor(supervisor):
        raise NotFound(_("No such declaration."))
    _check_appointment(appointment)
    declaration = _lock(declaration.pk)
    _open_declaration(declaration)
    if JointInspection.objects.filter(declaration=declaration, status=InspectionStatus.SCHEDULED).exists():
        raise ControlConflict(
            "already_scheduled", _("An inspection is already scheduled: reschedule it instead.")
        )
    tasks = list(
        ControlTask.objects.filter(
            declaration=declaration, kind=ControlKind.PHYSICAL, status=ControlStatus.OPEN
        ).select_related("agency")
    )
    if not tasks:
        raise ControlConflict("nothing_to_inspect", _("No physical inspection is waiting to be scheduled."))
    inspection = JointInspection.objects.create(
        declaration=declaration,
        scheduled_for=appointment.scheduled_for,
        place=appointment.place.strip(),
        goods_location=appointment.goods_location.strip(),
        instructions=appointment.instructions.strip(),
        contact=appointment.contact.strip(),
        scheduled_by=supervisor,
    )
    ControlTask.objects.filter(pk__in=[t.pk for t in tasks], status=ControlStatus.OPEN).update(
        inspection=inspection, status=ControlStatus.SCHEDULED
    )
    audit_log(
        action="clearance.inspection.scheduled",
        obj=inspection,
        actor=supervisor,
        data={
            "declaration": declaration.pk,
            "scheduled_for": inspection.scheduled_for.isoformat(),
            "place": inspection.place,
            "agencies": sorted({t.agency.code for t in tasks}),
        },
    )
    pipeline.trader_notify(
        declaration=declaration, kind=NotificationKind.INSPECTION, message=_appointment_text(inspection)
    )
    return inspection


def _scheduled(inspection_id: int, supervisor: User) -> tuple[Declaration, JointInspection]:
    if not _is_supervisor(supervisor):
        raise NotFound(_("No such inspection."))
    declaration_id = (
        JointInspection.objects.filter(pk=inspection_id).values_list("declaration_id", flat=True).first()
    )
    if declaration_id is None:
        raise NotFound(_("No such inspection."))
    declaration = _lock(declaration_id)
    inspection = (
        JointInspection.objects.select_for_update().select_related("declaration").get(pk=inspection_id)
    )
    if inspection.status != InspectionStatus.SCHEDULED:
        raise ControlConflict(
            "inspection_closed",
            _("This inspection is %(status)s.") % {"status": inspection.get_status_display().lower()},
        )
    if inspection.findings.exists():
        raise ControlConflict(
            "findings_recorded", _("Findings are already recorded: the inspection has taken place.")
        )
    return declaration, inspection


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", "reason_required", _("Say why."))
    return reason


@transaction.atomic(durable=True)
def inspection_reschedule(
    *, inspection_id: int, supervisor: User, appointment: Appointment, reason: str
) -> JointInspection:
    """Move the inspection (reason required, audited); the trader is told the new appointment."""
    reason = _reason_required(reason)
    _check_appointment(appointment)
    declaration, inspection = _scheduled(inspection_id, supervisor)
    before = {"scheduled_for": inspection.scheduled_for.isoformat(), "place": inspection.place}
    inspection.scheduled_for = appointment.scheduled_for
    inspection.place = appointment.place.strip()
    inspection.goods_location = appointment.goods_location.strip()
    inspection.instructions = appointment.instructions.strip()
    inspection.contact = appointment.contact.strip()
    inspection.save(update_fields=["scheduled_for", "place", "goods_location", "instructions", "contact"])
    audit_log(
        action="clearance.inspection.rescheduled",
        obj=inspection,
        actor=supervisor,
        data={
            "declaration": declaration.pk,
            "from": before,
            "scheduled_for": inspection.scheduled_for.isoformat(),
            "place": inspection.place,
            "reason": reason,
        },
    )
    pipeline.trader_notify(
        declaration=declaration,
        kind=NotificationKind.INSPECTION,
        message=_("The inspection was moved (%(reason)s).") % {"reason": reason}
        + "\n"
        + _appointment_text(inspection),
    )
    return inspection


@transaction.atomic(durable=True)
def inspection_cancel(*, inspection_id: int, supervisor: User, reason: str) -> JointInspection:
    """Cancel the appointment (reason required): its tasks wait to be scheduled again."""
    reason = _reason_required(reason)
    declaration, inspection = _scheduled(inspection_id, supervisor)
    JointInspection.objects.filter(pk=inspection.pk).update(status=InspectionStatus.CANCELLED)
    ControlTask.objects.filter(inspection=inspection, status=ControlStatus.SCHEDULED).update(
        inspection=None, status=ControlStatus.OPEN
    )
    inspection.status = InspectionStatus.CANCELLED
    audit_log(
        action="clearance.inspection.cancelled",
        obj=inspection,
        actor=supervisor,
        data={"declaration": declaration.pk, "reason": reason},
    )
    pipeline.trader_notify(
        declaration=declaration,
        kind=NotificationKind.INSPECTION,
        message=_(
            "Declaration %(mrn)s: the inspection scheduled for %(when)s is cancelled (%(reason)s). "
            "You will be told the new appointment."
        )
        % {
            "mrn": declaration.mrn,
            "when": date_format(timezone.localtime(inspection.scheduled_for), "DATETIME_FORMAT"),
            "reason": reason,
        },
    )
    return inspection


# Findings -------------------------------------------------------------------------------------


def attending_agency(user: User, inspection: JointInspection) -> Agency | None:
    """The agency the officer records for at this inspection: one of its attending agencies the
    officer decides for (one that has not recorded yet first, then customs first), or None."""
    recorded = set(
        InspectionFinding.objects.filter(inspection=inspection).values_list("agency_id", flat=True)
    )
    # An officer of two attending agencies records for one, then for the other (not customs twice).
    agencies = sorted(
        {t.agency for t in inspection.tasks.all() if t.status != ControlStatus.CANCELLED},
        key=lambda a: (a.pk in recorded, not a.is_customs, a.name),
    )
    return next((a for a in agencies if may_decide_for(user, a)), None)


@dataclass(frozen=True)
class Finding:
    outcome: str
    findings: str = ""
    seizure: bool = False
    fine_amount: Decimal | None = None
    fine_currency: str = ""


@transaction.atomic(durable=True)
def finding_record(
    *, inspection_id: int, officer: User, finding: Finding, photos: list[CheckedPhoto] | None = None
) -> InspectionFinding:
    """An attending agency's officer records its agency's findings, once (photos attached).

    The agency's tasks on this inspection are done with its outcome (customs' physical task: customs'
    finding). When every attending agency has recorded, the inspection is completed. The outcome
    goes on the trader's history (the finding, a seizure, a fine), customs' lane control ending sets
    the rules' hit outcomes, and consolidation runs. A second record for the agency (a second
    officer at the same moment, a double tap) is a ``ControlConflict``: the first stands.
    """
    declaration_id = (
        JointInspection.objects.filter(pk=inspection_id).values_list("declaration_id", flat=True).first()
    )
    if declaration_id is None:
        raise NotFound(_("No such inspection."))
    declaration = _lock(declaration_id)
    inspection = JointInspection.objects.select_for_update().get(pk=inspection_id)
    agency = attending_agency(officer, inspection)
    if agency is None:
        raise NotFound(_("No such inspection."))
    if inspection.status != InspectionStatus.SCHEDULED:
        raise ControlConflict(
            "inspection_closed",
            _("This inspection is %(status)s.") % {"status": inspection.get_status_display().lower()},
        )
    _open_declaration(declaration)
    if finding.outcome not in ControlOutcome.values:
        raise _field_error("outcome", "invalid_outcome", _("Say whether the goods are compliant."))
    text = (finding.findings or "").strip()
    non_compliant = finding.outcome == ControlOutcome.NON_COMPLIANT
    if non_compliant and not text:
        raise _field_error("findings", "findings_required", _("Say what is not compliant."))
    if (finding.seizure or finding.fine_amount) and not non_compliant:
        raise _field_error(
            "outcome", "outcome_conflict", _("A seizure or a fine goes with a non-compliant finding.")
        )
    fine = None
    currency = (finding.fine_currency or "").strip().upper()
    if finding.fine_amount is not None:
        if finding.fine_amount <= 0:
            raise _field_error("fine_amount", "fine_invalid", _("A fine is a positive amount."))
        if len(currency) != 3 or not currency.isalpha():
            raise _field_error(
                "fine_currency", "currency_invalid", _("Give the fine's currency (3 letters).")
            )
        fine = quantize(finding.fine_amount, currency)
    if InspectionFinding.objects.filter(inspection=inspection, agency=agency).exists():
        raise ControlConflict(
            "finding_recorded",
            _("%(agency)s's findings are already recorded for this inspection.") % {"agency": agency.name},
        )
    now = timezone.now()
    record = InspectionFinding.objects.create(
        inspection=inspection,
        agency=agency,
        officer=officer,
        outcome=finding.outcome,
        findings=text,
        seizure=finding.seizure,
        fine_amount=fine,
        fine_currency=currency if fine is not None else "",
    )
    stored: list[str] = []
    try:
        for photo in photos or []:
            saved = FindingPhoto(finding=record, content_type=photo.content_type, size=photo.size)
            saved.image.save(photo.content.name or "photo", photo.content, save=True)
            stored.append(saved.image.name)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    summary = text or _("Compliant.")
    ControlTask.objects.filter(inspection=inspection, agency=agency, status=ControlStatus.SCHEDULED).update(
        status=ControlStatus.DONE,
        outcome=finding.outcome,
        findings=summary,
        completed_by=officer,
        completed_at=now,
    )
    events = [
        AuditEntry(
            action="clearance.inspection.finding_recorded",
            obj=inspection,
            actor=officer,
            data={
                "declaration": declaration.pk,
                "agency": agency.code,
                "outcome": finding.outcome,
                "seizure": finding.seizure,
                "fine": str(fine) if fine is not None else None,
                "photos": len(stored),
            },
        )
    ]
    if not ControlTask.objects.filter(inspection=inspection, status=ControlStatus.SCHEDULED).exists():
        JointInspection.objects.filter(pk=inspection.pk).update(
            status=InspectionStatus.COMPLETED, completed_at=now
        )
        inspection.status = InspectionStatus.COMPLETED
        events.append(
            AuditEntry(
                action="clearance.inspection.completed", obj=inspection, data={"declaration": declaration.pk}
            )
        )
    audit_log_many(events)
    _history_record(declaration, _finding_events(record, agency, now))
    if agency.is_customs:
        _lane_control_ended(declaration)
    pipeline._consolidate(declaration)
    return record


def _finding_events(record: InspectionFinding, agency: Agency, now: datetime) -> list[ComplianceEvent]:
    compliant = record.outcome == ControlOutcome.COMPLIANT
    events = [
        ComplianceEvent(
            kind=ComplianceKind.INSPECTION_COMPLIANT
            if compliant
            else ComplianceKind.INSPECTION_NON_COMPLIANT,
            agency=agency,
            occurred_at=now,
            details=record.findings or _("Inspection: compliant."),
            source=f"finding:{record.pk}",
        )
    ]
    if record.seizure:
        events.append(
            ComplianceEvent(
                kind=ComplianceKind.SEIZURE,
                agency=agency,
                occurred_at=now,
                details=record.findings,
                source=f"finding:{record.pk}:seizure",
            )
        )
    if record.fine_amount is not None:
        events.append(
            ComplianceEvent(
                kind=ComplianceKind.FINE,
                agency=agency,
                occurred_at=now,
                details=record.findings,
                amount=record.fine_amount,
                currency=record.fine_currency,
                source=f"finding:{record.pk}:fine",
            )
        )
    return events


def _history_record(declaration: Declaration, events: list[ComplianceEvent]) -> None:
    """On the trader account's history, each fact once (``source`` is unique)."""
    if declaration.trader_account_id is None:
        return
    for event in events:
        event.trader_account_id = declaration.trader_account_id
        event.declaration = declaration
    ComplianceEvent.objects.bulk_create(events, ignore_conflicts=True)


def _lane_control_ended(declaration: Declaration) -> int:
    """Customs' lane control ended: the rules that sent the declaration there get its outcome (a
    hit when non-compliant), once. Returns the rule hits marked now."""
    lane_tasks = list(
        ControlTask.objects.filter(declaration=declaration, review__isnull=True, agency__is_customs=True)
        .exclude(status=ControlStatus.CANCELLED)
        .values_list("status", "outcome")
    )
    if not lane_tasks or any(status != ControlStatus.DONE for status, _outcome in lane_tasks):
        return 0
    outcome = (
        ControlOutcome.NON_COMPLIANT
        if any(o == ControlOutcome.NON_COMPLIANT for _status, o in lane_tasks)
        else ControlOutcome.COMPLIANT
    )
    return RuleHit.objects.filter(assessment__declaration=declaration, outcome="").update(
        outcome=outcome.value
    )
