"""Reads for supervisors and traders: every declaration with every agency's status, notifications.

Lists run a fixed number of queries (the declarations, then their reviews with agencies).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from agencies.models import OPEN_STATUSES, AgencyReview, ReviewStatus
from declarations.models import UNDER_REVIEW, Declaration
from declarations.models import Status as DeclarationStatus
from payments.status import money_status

from .inspections.rules import control_state
from .inspections.selectors import control_summary
from .models import ControlOutcome, Lane, Notification, Outcome, ReleaseDecision


def _reviews_prefetch() -> Prefetch:
    return Prefetch(
        "reviews", queryset=AgencyReview.objects.select_related("agency").order_by("agency__name")
    )


def declarations_for_supervisor(
    user: User, *, status: str = "", mrn: str = "", needs_human: bool = False
) -> QuerySet[Declaration]:
    """Every lodged declaration with every agency's review and the release decision (supervisors).

    ``needs_human``: only those ``declarations_needing_human`` lists. Others get none. Two queries.
    """
    if not user.is_authenticated or user.role not in (Role.SUPERVISOR, Role.ADMIN):
        return Declaration.objects.none()
    declarations = Declaration.objects.exclude(status=DeclarationStatus.DRAFT)
    if status:
        declarations = declarations.filter(status=status)
    if mrn:
        declarations = declarations.filter(mrn=mrn.strip().upper())
    if needs_human:
        declarations = declarations.filter(_needs_human())
    return (
        declarations.select_related("trader_account", "release_decision")
        .prefetch_related(_reviews_prefetch())
        .order_by("-accepted_at", "-pk")
    )


def _needs_human() -> Q:
    """Open declarations a person must move: an inspection required, or a review past its due time."""
    inspection = AgencyReview.objects.filter(
        declaration=OuterRef("pk"), status=ReviewStatus.INSPECTION_REQUIRED
    )
    overdue = AgencyReview.objects.filter(
        declaration=OuterRef("pk"), status__in=OPEN_STATUSES, due_at__lt=timezone.now()
    )
    return Q(status__in=UNDER_REVIEW) & (Q(Exists(inspection)) | Q(Exists(overdue)))


def declarations_needing_human(user: User) -> QuerySet[Declaration]:
    return declarations_for_supervisor(user, needs_human=True)


def notifications_for(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own portal notifications, newest first (one query)."""
    notifications = Notification.objects.filter(user=user).select_related("declaration")
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


# The header's badge stops counting here ("99+"): a user who never reads them costs no more.
UNREAD_COUNT_CAP = 99


def notifications_unread_count(user: User) -> int:
    """How many of the user's notifications are unread, up to ``UNREAD_COUNT_CAP + 1`` (one query)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True).values("pk")
    return unread[: UNREAD_COUNT_CAP + 1].count()


def access_notification(user: User, notification_id: int | str) -> Notification:
    try:
        return Notification.objects.get(pk=int(notification_id), user=user)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404("No such notification.") from None


def release_decision_of(declaration: Declaration) -> ReleaseDecision | None:
    return ReleaseDecision.objects.filter(declaration=declaration).select_related("decided_by").first()


def release_note_text(declaration: Declaration) -> str:
    """The release note a trader downloads for a released declaration, as plain text.

    Raises ``Http404`` when the declaration has no release (not decided, or refused).
    """
    decision = release_decision_of(declaration)
    if decision is None or decision.outcome != Outcome.RELEASED:
        raise Http404("No release note.")
    trader = declaration.trader_account
    lines = [
        _("RELEASE NOTE"),
        "",
        _("MRN: %(mrn)s") % {"mrn": declaration.mrn},
        _("LRN: %(lrn)s") % {"lrn": declaration.lrn},
        _("Declaration type: %(type)s") % {"type": declaration.full_type},
        _("Trader: %(name)s (%(eori)s)") % {"name": trader.name, "eori": trader.eori} if trader else "",
        _("Released at: %(at)s") % {"at": decision.decided_at.isoformat(timespec="seconds")},
        _("Decided by: %(who)s")
        % {
            # The note goes to the trader: the authority, never an officer's name.
            "who": _("a customs supervisor")
            if decision.decided_by
            else _("the system (all agencies approved)")
        },
    ]
    if decision.override:
        lines.append(_("Supervisor's reason: %(reason)s") % {"reason": decision.override_reason})
    lines += ["", _("Agencies:")]
    lines += [
        "  "
        + _("%(agency)s: %(status)s %(at)s")
        % {"agency": r["agency_name"], "status": r["status"], "at": r.get("decided_at") or ""}
        for r in decision.reasons
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"


@dataclass(frozen=True)
class ReleaseCondition:
    """One thing the release waits for, met or not, in plain words."""

    key: str  # "reviews", "money", "controls" (the risk lane's and agencies' inspections)
    label: str
    met: bool
    detail: str


def release_conditions(declaration: Declaration, *, reviews: list[AgencyReview]) -> list[ReleaseCondition]:
    """What consolidation waits for, for the trader and the supervisor (one or two queries).

    ``reviews`` are the declaration's reviews as the caller may show them (an officer's own, for
    instance); withdrawn ones do not count.
    """
    standing = [r for r in reviews if r.withdrawn_at is None]
    waiting = [r.agency.name for r in standing if r.is_open]
    if waiting:
        reviews_detail = _("Waiting for: %(agencies)s.") % {"agencies": ", ".join(waiting)}
    elif standing:
        reviews_detail = _("Every agency has decided.")
    else:
        reviews_detail = _("Not routed to any agency yet.")
    money = money_status(declaration)
    if money.security is not None and money.settled:
        money_detail = _("Secured by %(facility)s.") % {"facility": money.security.facility}
    elif money.settled:
        money_detail = str(money.label)
    else:
        money_detail = money.open_condition
    return [
        ReleaseCondition("reviews", _("Agencies' decisions"), bool(standing) and not waiting, reviews_detail),
        *_controls_condition(declaration),
        ReleaseCondition("money", _("Duties and fees paid or secured"), money.settled, money_detail),
    ]


def _controls_condition(declaration: Declaration) -> list[ReleaseCondition]:
    """The controls (two queries): none for a green declaration without any; else which is open."""
    controls = control_state(declaration)
    if controls.lane == Lane.GREEN and not controls.tasks:
        return []
    label = _("Controls (lane: %(lane)s)") % {"lane": Lane(controls.lane).label}
    if controls.refusals:
        detail = "; ".join(r.reason for r in controls.refusals)
    elif controls.waiting:
        detail = _("Waiting for: %(controls)s.") % {"controls": control_summary(controls.waiting)}
    elif not controls.cleared:
        detail = _("Waiting for customs' control to be opened.")
    else:
        done = [t for t in controls.tasks if t.outcome == ControlOutcome.COMPLIANT]
        detail = _("Done: compliant.") if done else _("Nothing to check.")
    return [ReleaseCondition("controls", label, controls.cleared, detail)]
