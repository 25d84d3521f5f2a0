"""Reads for the control pages: who sees which control, inspection or photo ("not yours" and
"does not exist" are the same 404), the lists, and the panels of the declaration pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Role, User
from agencies.access import agency_ids_of, may_decide_for
from agencies.routing import customs_agency
from declarations.models import UNDER_REVIEW, Declaration

from ..models import (
    ControlKind,
    ControlStatus,
    ControlTask,
    FindingPhoto,
    InspectionFinding,
    InspectionStatus,
    JointInspection,
)
from .rules import OPEN_CONTROL


def is_supervisor(user: User) -> bool:
    return user.is_authenticated and user.role in (Role.SUPERVISOR, Role.ADMIN)


def is_customs_officer(user: User) -> bool:
    if not user.is_authenticated or user.role is not Role.OFFICER:
        return False
    try:
        return may_decide_for(user, customs_agency())
    except RuntimeError:  # no customs agency configured
        return False


def _aeo_first() -> Case:
    today = timezone.localdate()
    valid = (
        ~Q(declaration__trader_account__aeo_tier="")
        & (
            Q(declaration__trader_account__aeo_valid_from__isnull=True)
            | Q(declaration__trader_account__aeo_valid_from__lte=today)
        )
        & (
            Q(declaration__trader_account__aeo_valid_until__isnull=True)
            | Q(declaration__trader_account__aeo_valid_until__gte=today)
        )
    )
    return Case(When(valid, then=Value(0)), default=Value(1), output_field=IntegerField())


def documentary_queue(user: User) -> QuerySet[ControlTask]:
    """Open documentary checks for a customs officer: AEO traders first, then oldest first (one query)."""
    if not is_customs_officer(user):
        return ControlTask.objects.none()
    return (
        ControlTask.objects.filter(
            kind=ControlKind.DOCUMENTARY,
            status=ControlStatus.OPEN,
            agency__is_customs=True,
            # Released or cancelled meanwhile (an override, the trader): nothing left to check.
            declaration__status__in=UNDER_REVIEW,
        )
        .select_related("declaration__trader_account", "agency")
        .annotate(aeo_rank=_aeo_first())
        .order_by("aeo_rank", "created_at", "pk")
    )


def access_documentary_task(user: User, task_id: int | str) -> ControlTask:
    """A documentary check the user (a customs officer) may record or read; 404 otherwise."""
    try:
        pk = int(task_id)
    except (TypeError, ValueError):
        raise Http404("No such control.") from None
    task = (
        ControlTask.objects.filter(pk=pk, kind=ControlKind.DOCUMENTARY)
        .select_related("declaration__trader_account", "agency", "completed_by")
        .first()
    )
    if task is None or not is_customs_officer(user) or not may_decide_for(user, task.agency_id):
        raise Http404("No such control.")
    return task


def declarations_to_inspect(user: User) -> QuerySet[Declaration]:
    """For supervisors: declarations with a physical control still to be done (to schedule, or
    scheduled), oldest first; each with its open physical tasks and scheduled inspection (3 queries)."""
    if not is_supervisor(user):
        return Declaration.objects.none()
    physical = ControlTask.objects.filter(kind=ControlKind.PHYSICAL, status__in=OPEN_CONTROL)
    return (
        Declaration.objects.filter(
            Exists(physical.filter(declaration=OuterRef("pk"))), status__in=UNDER_REVIEW
        )
        .select_related("trader_account")
        .prefetch_related(
            Prefetch(
                "control_tasks",
                queryset=physical.select_related("agency").order_by("created_at", "pk"),
                to_attr="physical_open",
            ),
            Prefetch(
                "inspections",
                queryset=JointInspection.objects.filter(status=InspectionStatus.SCHEDULED),
                to_attr="scheduled",
            ),
        )
        .order_by("accepted_at", "pk")
    )


def access_declaration_to_inspect(user: User, mrn: str) -> Declaration:
    if not is_supervisor(user) or "\x00" in mrn:
        raise Http404("No such declaration.")
    declaration = Declaration.objects.select_related("trader_account").filter(mrn=mrn).first()
    if declaration is None:
        raise Http404("No such declaration.")
    return declaration


def scheduled_inspection(declaration: Declaration) -> JointInspection | None:
    return JointInspection.objects.filter(declaration=declaration, status=InspectionStatus.SCHEDULED).first()


def inspections_for_officer(user: User) -> QuerySet[JointInspection]:
    """Scheduled inspections one of the officer's agencies attends, soonest first (one query + tasks)."""
    if not user.is_authenticated or user.role is not Role.OFFICER:
        return JointInspection.objects.none()
    agencies = agency_ids_of(user)
    attends = ControlTask.objects.filter(inspection=OuterRef("pk"), agency_id__in=agencies)
    return (
        JointInspection.objects.filter(
            Exists(attends), status=InspectionStatus.SCHEDULED, declaration__status__in=UNDER_REVIEW
        )
        .select_related("declaration__trader_account")
        .prefetch_related(
            Prefetch("tasks", queryset=ControlTask.objects.select_related("agency").order_by("agency__name")),
            Prefetch("findings", queryset=InspectionFinding.objects.select_related("agency")),
        )
        .order_by("scheduled_for", "pk")
    )


@dataclass(frozen=True)
class InspectionDays:
    today: list[JointInspection]  # today and any still open from earlier days
    upcoming: list[JointInspection]


def inspections_by_day(
    inspections: QuerySet[JointInspection], *, now: datetime | None = None
) -> InspectionDays:
    now = now or timezone.now()
    tomorrow = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    listed = list(inspections)
    return InspectionDays(
        today=[i for i in listed if i.scheduled_for < tomorrow],
        upcoming=[i for i in listed if i.scheduled_for >= tomorrow],
    )


def access_inspection_for_officer(user: User, inspection_id: int | str) -> JointInspection:
    """An inspection one of the officer's agencies attends (any status); 404 otherwise."""
    try:
        pk = int(inspection_id)
    except (TypeError, ValueError):
        raise Http404("No such inspection.") from None
    if not user.is_authenticated or user.role is not Role.OFFICER:
        raise Http404("No such inspection.")
    inspection = (
        JointInspection.objects.filter(pk=pk, tasks__agency_id__in=agency_ids_of(user))
        .select_related("declaration__trader_account")
        .distinct()
        .first()
    )
    if inspection is None:
        raise Http404("No such inspection.")
    return inspection


def findings_of(inspection: JointInspection) -> list[InspectionFinding]:
    return list(
        inspection.findings.select_related("agency", "officer")
        .prefetch_related("photos")
        .order_by("agency__name")
    )


def access_photo(user: User, photo_id: int | str) -> FindingPhoto:
    """A photo of a finding, for a supervisor or an officer of an agency attending that inspection;
    anyone else (a trader, another agency, a forged id): 404."""
    try:
        pk = int(photo_id)
    except (TypeError, ValueError):
        raise Http404("No such photo.") from None
    photo = FindingPhoto.objects.select_related("finding__inspection").filter(pk=pk).first()
    if photo is None or not user.is_authenticated:
        raise Http404("No such photo.")
    if is_supervisor(user):
        return photo
    if (
        user.role is Role.OFFICER
        and ControlTask.objects.filter(
            inspection_id=photo.finding.inspection_id, agency_id__in=agency_ids_of(user)
        ).exists()
    ):
        return photo
    raise Http404("No such photo.")


def agency_findings_for_review(review_id: int) -> list[InspectionFinding]:
    """The findings of the inspection an agency's review required (its agency's and the others'),
    for the review page."""
    inspection_ids = ControlTask.objects.filter(review_id=review_id, inspection__isnull=False).values(
        "inspection_id"
    )
    return list(
        InspectionFinding.objects.filter(inspection_id__in=inspection_ids)
        .select_related("agency", "officer", "inspection")
        .prefetch_related("photos")
        .order_by("agency__name")
    )


@dataclass(frozen=True)
class TraderInspection:
    """What the trader sees of an inspection: where, when, what to present, and the outcome.

    Customs' findings text is shown (it is why the goods are refused); other agencies' findings
    stay with the agencies, whose review decision carries what the trader is told.
    """

    inspection: JointInspection
    agencies: list[str]
    outcomes: list[tuple[str, str, str]]  # (agency name, outcome label, findings or "")


def inspections_for_trader(declaration: Declaration) -> list[TraderInspection]:
    """The declaration's scheduled and completed inspections as the trader sees them (two queries)."""
    inspections = list(
        JointInspection.objects.filter(declaration=declaration)
        .exclude(status=InspectionStatus.CANCELLED)
        .prefetch_related(
            Prefetch("tasks", queryset=ControlTask.objects.select_related("agency").order_by("agency__name")),
            Prefetch(
                "findings",
                queryset=InspectionFinding.objects.select_related("agency").order_by("agency__name"),
            ),
        )
        .order_by("-scheduled_for")
    )
    return [
        TraderInspection(
            inspection=i,
            agencies=sorted({t.agency.name for t in i.tasks.all()}),
            outcomes=[
                (f.agency.name, f.get_outcome_display(), f.findings if f.agency.is_customs else "")
                for f in i.findings.all()
            ],
        )
        for i in inspections
    ]


def control_summary(tasks: list[ControlTask]) -> str:
    """One line per open control, as "What the release waits for" says it."""
    parts = []
    for task in tasks:
        if task.kind == ControlKind.DOCUMENTARY:
            parts.append(_("documentary check by %(agency)s") % {"agency": task.agency.name})
        elif task.inspection is not None:
            parts.append(
                _("inspection scheduled for %(when)s at %(place)s")
                % {
                    "when": date_format(timezone.localtime(task.inspection.scheduled_for), "DATETIME_FORMAT"),
                    "place": task.inspection.place,
                }
            )
        else:
            parts.append(_("inspection to be scheduled (%(agency)s)") % {"agency": task.agency.name})
    return "; ".join(dict.fromkeys(parts))
