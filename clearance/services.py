"""The clearance pipeline: route an accepted declaration, consolidate its reviews into one decision.

``declaration_route`` runs once per accepted declaration (the outbox publishes it after
lodgement); ``declaration_consolidate`` runs after every event that can complete a declaration.
Both lock the declaration row and check its state first, so running either twice, concurrently
or after a crash changes nothing more. ``_decision_record`` is the only writer of a
``ReleaseDecision``: consolidation and a supervisor's override both go through it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PERM_MEMBER, PERM_REPRESENT, Role, TraderAccountUserObjectPermission, User
from agencies.licences import licences_apply, licences_reinstate, licences_replan, licences_restore
from agencies.models import OPEN_STATUSES, Agency, AgencyReview, InformationRequest, ReviewStatus
from agencies.routing import AgencyRoute, customs_agency, routing_plan
from agencies.services import reviews_open
from declarations.amendments import request_decide
from declarations.models import (
    OVERRIDE_TO_REFUSE,
    OVERRIDE_TO_RELEASE,
    UNDER_REVIEW,
    Declaration,
    PostReleaseRequest,
    RequestStatus,
)
from declarations.models import Status as DeclarationStatus
from declarations.services import declaration_transition
from payments import status as payments_status
from payments.pipeline import declaration_assess, declaration_recharge
from payments.refunds import declaration_money_return
from singlewindow.audit import AuditEntry, audit_log, audit_log_many
from singlewindow.errors import DomainError, NotFound
from singlewindow.outbox import outbox_put

from .inspections.opening import controls_open, controls_renew_on_resubmission
from .inspections.rules import OPEN_CONTROL, ControlState, control_state
from .models import (
    ControlTask,
    Notification,
    NotificationKind,
    Outcome,
    Redrive,
    RedriveKind,
    ReleaseDecision,
)
from .risk.services import risk_assess
from .verification import verification_code_new

# Published after every release decision is recorded (consolidation or override): the Time Release
# Study (``insights``) writes the declaration's facts from it.
TOPIC_RELEASE_DECIDED = "clearance.release.decided"

logger = logging.getLogger(__name__)


@dataclass
class RouteResult:
    declaration: Declaration
    reviews: list[AgencyReview]
    decision: ReleaseDecision | None  # set when the system could decide at once (all automatic)


@transaction.atomic(durable=True)
def declaration_route(*, declaration_id: int) -> RouteResult | None:
    """Open one review per agency whose rules match the declaration's goods; idempotent.

    Under the declaration's row lock: nothing happens unless it is ``accepted`` (a second,
    concurrent or post-crash run returns None). Otherwise the active rules are evaluated against
    every goods item (``agencies.routing.routing_plan``; unclaimed goods go to customs alone), the
    reviews are opened with their items and reasons (auto-approved where the agency's rules or
    settings let the system decide; webhook deliveries queued), and the declaration moves to
    ``in_review``. If every review was decided automatically, consolidation runs in the same
    transaction and the declaration is released at once.
    """
    # The trader account comes with the row (the reviews' AEO priority, the risk facts), unlocked:
    # routings of one trader's declarations never wait on each other.
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("trader_account")
        .filter(pk=declaration_id)
        .first()
    )
    if declaration is None or not declaration.awaits_routing:
        return None
    # Items with their tax lines and the documents, loaded once on the locked row: routing, the
    # risk assessment and the duties assessment all read them from here.
    prefetch_related_objects([declaration], "items__tax_lines", "documents")
    items = list(declaration.items.all())
    documents = list(declaration.documents.all())
    routes = routing_plan(declaration, items=items, documents=documents)
    licences_apply(declaration=declaration, routes=routes, documents=documents)  # writes off what they cover
    reviews = reviews_open(declaration=declaration, routes=routes)
    # Customs' risk assessment (score, lane, reasons), whatever agencies the goods were routed to.
    assessment = risk_assess(declaration=declaration, items=items, documents=documents)
    # Customs' lane control (yellow: documentary, red: physical) and any agency's inspection.
    controls_open(declaration=declaration, assessment=assessment, reviews=reviews)
    # Duties, taxes and fees: assessed, charged to the trader's account, secured where a guarantee or
    # deferment account covers them (in this transaction: an accepted declaration is never routed
    # without its charge).
    declaration_assess(declaration=declaration, agencies=_routed_items(routes), locked=True, items=items)
    declaration_transition(
        declaration_id=declaration.pk,
        expected={DeclarationStatus.ACCEPTED},
        to=DeclarationStatus.IN_REVIEW,
        actor=None,
        action="declarations.declaration.routed",
        data={"agencies": [r.agency.code for r in routes]},
        locked=declaration,
    )
    decision = None
    if all(r.is_approved for r in reviews):
        # The reviews were just written in this transaction under the lock: no need to read them.
        decision = _consolidate(declaration, reviews=sorted(reviews, key=lambda r: r.agency.name))
    return RouteResult(declaration=declaration, reviews=reviews, decision=decision)


def _routed_items(routes: Iterable[AgencyRoute]) -> dict[Agency, list[int]]:
    """Each agency routed to with the goods item numbers it reviews: what its fee is charged on."""
    return {route.agency: sorted(item.sequence for item in route.items) for route in routes}


@dataclass
class ReplanResult:
    kept: list[str]  # agency codes whose decision stands
    asked_again: list[str]  # reviews reopened (or opened) because their goods changed
    withdrawn: list[str]  # agencies the amended declaration no longer concerns
    decision: ReleaseDecision | None


@transaction.atomic(durable=True)
def declaration_replan(*, declaration_id: int, payload: dict[str, Any]) -> ReplanResult | None:
    """Route an amended declaration again: only agencies whose goods changed are asked again.

    Under the declaration's row lock, and only while it is in review or waiting on the trader (an
    ``accepted`` declaration is routed from scratch with its current items). The rules are applied
    to the items in force; then per agency: its goods items (numbers) or any of them changed, or
    its review was a refusal of a resubmitted declaration → its review is reopened (pending
    again, or approved at once where the agency decides automatically); nothing of its goods
    changed → its decision stands; no longer concerned → its review is withdrawn; newly concerned
    → a new review. A change to the header (parties, transport, totals) is customs' business: its
    review is reopened, or opened. Then consolidation runs in case every review stands decided.
    Idempotent for one version: a run for a version that is no longer in force does nothing.
    """
    declaration = Declaration.objects.select_for_update().filter(pk=declaration_id).first()
    if declaration is None or declaration.status not in UNDER_REVIEW:
        return None
    if int(payload.get("version", 0)) != declaration.version:
        return None
    items = list(declaration.items.all())
    documents = list(declaration.documents.all())
    routes = {r.agency.pk: r for r in routing_plan(declaration, items=items, documents=documents)}
    changed = set(payload.get("changed_items", [])) | set(payload.get("added_items", []))
    resubmitted = payload.get("kind") == "resubmission"
    if resubmitted:
        # The refusal was of the earlier version (its events keep it): the new one is decided anew.
        ReleaseDecision.objects.filter(declaration=declaration).delete()
        controls_renew_on_resubmission(declaration=declaration)  # customs checks the new version
    if payload.get("header_changed"):
        customs = customs_agency()
        if customs.pk not in routes:
            routes[customs.pk] = AgencyRoute(
                agency=customs,
                reasons=[{"rule": None, "rule_name": _("Declaration header amended"), "item": None}],
            )
    reviews = {r.agency_id: r for r in declaration.reviews.select_related("agency").prefetch_related("items")}
    now = timezone.now()
    kept: list[str] = []
    again: list[AgencyReview] = []
    withdrawn: list[AgencyReview] = []
    for agency_id, review in reviews.items():
        route = routes.get(agency_id)
        if route is None:
            if review.withdrawn_at is None:
                withdrawn.append(review)
            continue
        old_items = {i.sequence for i in review.items.all()}
        new_items = {i.sequence for i in route.items}
        customs_header = payload.get("header_changed") and review.agency.is_customs
        if (
            old_items != new_items
            or old_items & changed
            or customs_header
            or review.withdrawn_at is not None
            or (resubmitted and review.status == ReviewStatus.REJECTED)
            # The refusal gave back what its licences wrote off: they are checked and written off anew.
            or (resubmitted and bool(review.licence_findings))
        ):
            again.append(review)
        else:
            kept.append(review.agency.code)
    for review in withdrawn:
        AgencyReview.objects.filter(pk=review.pk).update(withdrawn_at=now, updated_at=now)
    events = [
        AuditEntry(
            action="agencies.review.withdrawn_by_amendment",
            obj=review,
            data={
                "status": review.status,
                "agency": review.agency.code,
                "declaration": declaration.pk,
                "version": declaration.version,
            },
        )
        for review in withdrawn
    ]
    licences_replan(  # what the agencies asked again wrote off is given back and checked anew
        declaration=declaration,
        routes=[routes[r.agency_id] for r in again] + [r for a, r in routes.items() if a not in reviews],
        withdrawn_agency_ids=[r.agency_id for r in withdrawn],
    )
    for review in again:
        route = routes[review.agency_id]
        auto = route.auto_approve
        values: dict[str, Any] = {
            "status": ReviewStatus.AUTO_APPROVED if auto else ReviewStatus.PENDING,
            "claimed_by": None,
            "claimed_at": None,
            "decided_by": None,
            "decided_at": now if auto else None,
            "decision_reason": route.auto_reason if auto else "",
            "withdrawn_at": None,
            "reasons": route.reasons,
            "missing_documents": route.missing_documents,
            "licence_findings": route.licence_findings,
            "due_at": AgencyReview.due_for(route.agency, now),
            "updated_at": now,
        }
        AgencyReview.objects.filter(pk=review.pk).update(**values)
        review.items.set(route.items)
        events.append(
            AuditEntry(
                action="agencies.review.reopened",
                obj=review,
                data={
                    "from": review.status,
                    "to": values["status"],
                    "agency": review.agency.code,
                    "declaration": declaration.pk,
                    "version": declaration.version,
                    "items": sorted(i.sequence for i in route.items),
                },
            )
        )
    audit_log_many(events)
    new_routes = [route for agency_id, route in routes.items() if agency_id not in reviews]
    if new_routes:
        reviews_open(declaration=declaration, routes=sorted(new_routes, key=lambda r: r.agency.name))
    waiting = AgencyReview.objects.filter(
        declaration=declaration, status=ReviewStatus.INFO_REQUESTED, withdrawn_at__isnull=True
    )
    if declaration.status == DeclarationStatus.INFO_REQUESTED and not waiting.exists():
        # The agency that asked was asked again (or no longer concerned): nobody waits on the trader.
        declaration_transition(
            declaration_id=declaration.pk,
            expected={DeclarationStatus.INFO_REQUESTED},
            to=DeclarationStatus.IN_REVIEW,
            actor=None,
            action="declarations.declaration.review_resumed",
            data={"version": declaration.version},
            locked=declaration,
        )
    # The amended version is scored again (its lane does not go down once controls exist).
    assessment = risk_assess(declaration=declaration, items=items, documents=documents, amended=True)
    # The amended version is assessed again: the difference is charged or credited, the security fitted.
    declaration_assess(declaration=declaration, agencies=_routed_items(routes.values()))
    # A raised lane opens the control it now needs.
    controls_open(declaration=declaration, assessment=assessment)
    decision = _consolidate(declaration)
    return ReplanResult(
        kept=sorted(kept),
        asked_again=sorted([r.agency.code for r in again] + [r.agency.code for r in new_routes]),
        withdrawn=sorted(r.agency.code for r in withdrawn),
        decision=decision,
    )


@transaction.atomic(durable=True)
def declaration_reviews_withdraw(*, declaration_id: int) -> int:
    """A cancelled or invalidated declaration's open reviews leave the queues (audited); idempotent."""
    declaration = Declaration.objects.select_for_update().filter(pk=declaration_id).first()
    if declaration is None or declaration.status not in (
        DeclarationStatus.CANCELLED,
        DeclarationStatus.INVALIDATED,
    ):
        return 0
    licences_restore(declaration=declaration, reason=str(declaration.status))
    now = timezone.now()
    reviews = list(
        AgencyReview.objects.filter(
            declaration=declaration, status__in=OPEN_STATUSES, withdrawn_at__isnull=True
        )
        .select_related("agency")
        .order_by("agency__name")
    )
    AgencyReview.objects.filter(pk__in=[r.pk for r in reviews]).update(withdrawn_at=now, updated_at=now)
    audit_log_many(
        AuditEntry(
            action="agencies.review.withdrawn_by_cancellation",
            obj=review,
            data={"status": review.status, "agency": review.agency.code, "declaration": declaration.pk},
        )
        for review in reviews
    )
    return len(reviews)


def may_decide_requests(user: User) -> bool:
    """Customs decides requests after release: its officers, and supervisors and administrators."""
    if not user.is_authenticated:
        return False
    if user.role in (Role.SUPERVISOR, Role.ADMIN):
        return True
    from agencies.access import may_decide_for

    customs = Agency.objects.filter(is_customs=True, is_active=True).first()
    return customs is not None and may_decide_for(user, customs)


def post_release_request_decide(
    *, request_id: int, user: User, outcome: str, reason: str
) -> PostReleaseRequest:
    """Customs grants or refuses an amendment or invalidation after release (anyone else: 404)."""
    if not may_decide_requests(user):
        raise NotFound(_("No such request."))
    if outcome not in (RequestStatus.GRANTED, RequestStatus.REFUSED):
        raise DomainError(
            "invalid_outcome",
            _("The outcome must be one of: %(choices)s.") % {"choices": "granted, refused"},
        )
    return request_decide(
        request_id=request_id, officer=user, grant=outcome == RequestStatus.GRANTED, reason=reason
    )


def lane_cleared(declaration: Declaration) -> bool:
    """Whether the risk lane lets the goods go: green (or never assessed), a yellow lane's
    documentary check or a red lane's inspection done compliant, and no control still open
    (``clearance.inspections.rules``)."""
    return control_state(declaration).cleared


def paid_or_secured(declaration: Declaration) -> bool:
    """Whether duties and fees are paid or secured by a guarantee on the trader's account.

    Read from the trader's ledger and the declaration's open security (``payments.status``).
    """
    return payments_status.paid_or_secured(declaration)


@transaction.atomic(durable=True)
def declaration_consolidate(*, declaration_id: int) -> ReleaseDecision | None:
    """Turn the agencies' decisions into the one release decision, once they are all in.

    Idempotent under the declaration's row lock; see ``_consolidate`` for the rule. Returns the
    decision recorded now, or None when nothing was decided (not complete, or decided before).
    """
    declaration = Declaration.objects.select_for_update().filter(pk=declaration_id).first()
    if declaration is None:
        return None
    if declaration.is_in_review:
        # An agency's "inspection required" (consolidation runs after every review decision) opens
        # its physical control here: agencies know nothing of clearance.
        controls_open(declaration=declaration)
    return _consolidate(declaration)


def _consolidate(
    declaration: Declaration, *, reviews: list[AgencyReview] | None = None
) -> ReleaseDecision | None:
    """The consolidation rule; the caller holds the declaration's row lock in its transaction.

    Only a declaration ``in_review`` is consolidated. It waits while any review is open (pending,
    in review, waiting on the trader, or an inspection required: its officer decides after the
    inspection), until the lane is cleared (``lane_cleared``: its controls) and until duties are
    paid or secured. Then: every review approved (by an officer or automatically) → released; any
    review rejected, a customs control non-compliant or goods seized → refused, with each agency's
    reasons and the findings. Side effects: the ``ReleaseDecision``
    (``automatic``: no human overrode), the declaration's transition (audited), the trader's
    portal notifications, and e-mails sent after commit.
    """
    if not declaration.is_in_review:
        return None
    if reviews is None:
        reviews = list(
            declaration.reviews.filter(withdrawn_at__isnull=True)
            .select_related("agency")
            .order_by("agency__name")
        )
    if not reviews or any(r.is_open for r in reviews):
        return None
    controls = control_state(declaration)
    refused = any(r.is_rejected for r in reviews) or bool(controls.refusals)
    # A refusal waits for nothing more: goods that will not be released owe no duty (their charges
    # are credited when the refusal is recorded).
    if not refused and (not controls.cleared or not paid_or_secured(declaration)):
        return None
    return _decision_record(
        declaration=declaration,
        outcome=Outcome.REFUSED if refused else Outcome.RELEASED,
        reasons=[_review_reason(r) for r in reviews] + _control_reasons(controls),
        expected={DeclarationStatus.IN_REVIEW},
    )


def _control_reasons(controls: ControlState) -> list[dict[str, Any]]:
    """The controls' refusals as decision reasons (status ``rejected``: the trader is told why)."""
    return [
        {
            "agency": refusal.agency_code,
            "agency_name": refusal.agency_name,
            "status": ReviewStatus.REJECTED.value,
            "reason": refusal.reason,
            "decided_at": None,
            "control": True,
        }
        for refusal in controls.refusals
    ]


def _review_reason(review: AgencyReview) -> dict[str, Any]:
    return {
        "agency": review.agency.code,
        "agency_name": review.agency.name,
        "status": review.status,
        "reason": review.decision_reason,
        "decided_at": review.decided_at.isoformat() if review.decided_at else None,
    }


def _decision_record(
    *,
    declaration: Declaration,
    outcome: Outcome,
    reasons: list[dict[str, Any]],
    expected: Collection[str],
    supervisor: User | None = None,
    override_reason: str = "",
) -> ReleaseDecision:
    """Write THE release decision and move the declaration; the only writer of ReleaseDecision."""
    now = timezone.now()
    override = supervisor is not None
    values: dict[str, Any] = {
        "outcome": outcome,
        "automatic": not override,
        "decided_by": supervisor,
        "reasons": reasons,
        "override": override,
        "override_reason": override_reason,
        "decided_at": now,
    }
    if outcome == Outcome.RELEASED:
        # The code on the release note a gate checks (clearance.verification); a refusal keeps
        # whatever code the row had (none: only a refused declaration can be released after all).
        values["verification_code"] = verification_code_new()
    # One statement (INSERT … ON CONFLICT (declaration) DO UPDATE) instead of a savepoint, a locked
    # read and a write: every caller holds the declaration's row lock, so nobody races this row.
    (decision,) = ReleaseDecision.objects.bulk_create(
        [ReleaseDecision(declaration=declaration, **values)],
        update_conflicts=True,
        unique_fields=["declaration"],
        update_fields=list(values),
    )
    if override:
        # Reviews still open stay as they are but leave the officers' queues, which read this
        # column rather than the declaration's status. (Consolidation runs only when none is open.)
        withdrawn = AgencyReview.objects.filter(
            declaration=declaration, status__in=OPEN_STATUSES, withdrawn_at__isnull=True
        ).update(withdrawn_at=now)
        if withdrawn:
            # Which ones: this declaration's reviews stamped now (its row lock keeps others out).
            audit_log_many(
                AuditEntry(
                    action="agencies.review.withdrawn",
                    obj=review,
                    actor=supervisor,
                    data={
                        "status": review.status,
                        "agency": review.agency.code,
                        "declaration": declaration.pk,
                        "reason": override_reason,
                    },
                )
                for review in AgencyReview.objects.filter(declaration=declaration, withdrawn_at=now)
                .select_related("agency")
                .order_by("agency__name")
            )
    to = DeclarationStatus.RELEASED if outcome == Outcome.RELEASED else DeclarationStatus.REFUSED
    was_refused = declaration.status == DeclarationStatus.REFUSED
    declaration_transition(
        declaration_id=declaration.pk,
        expected=expected,
        to=to,
        actor=supervisor,
        action="clearance.release.overridden" if override else f"declarations.declaration.{to}",
        reason=override_reason,
        data={"outcome": str(outcome), "agencies": reasons},
        locked=declaration,
    )
    if to == DeclarationStatus.REFUSED:
        declaration_money_return(declaration=declaration)  # credited, refunded, security released
        licences_restore(declaration=declaration, reason="refused")  # what it wrote off is given back
    elif was_refused:
        declaration_recharge(declaration=declaration)  # released after all: its charges are owed again
        # and what its licences gave back at the refusal is written off again, as far as it is left.
        shortfalls = licences_reinstate(declaration=declaration, reason=override_reason)
        if shortfalls:
            audit_log(
                action="clearance.release.licence_shortfall",
                obj=declaration,
                actor=supervisor,
                data={"shortfalls": shortfalls},
            )
    _trader_notify(
        declaration=declaration,
        kind=NotificationKind.RELEASED if outcome == Outcome.RELEASED else NotificationKind.REFUSED,
        message=_release_message(declaration, decision),
    )
    outbox_put(topic=TOPIC_RELEASE_DECIDED, object_id=declaration.pk, payload={"outcome": str(outcome)})
    return decision


def _release_message(declaration: Declaration, decision: ReleaseDecision) -> str:
    if decision.outcome == Outcome.RELEASED:
        return _("Declaration %(mrn)s: the goods are released.") % {"mrn": declaration.mrn}
    refusals = [
        f"{r['agency_name']}: {r['reason']}"
        for r in decision.reasons
        if r.get("status") == ReviewStatus.REJECTED
    ]
    text = _("Declaration %(mrn)s: release refused.") % {"mrn": declaration.mrn}
    if decision.override_reason:
        refusals.append(_("Customs supervisor: %(reason)s") % {"reason": decision.override_reason})
    return "\n".join([text, *refusals])


@transaction.atomic(durable=True)
def release_override(
    *, declaration: Declaration, supervisor: User, outcome: str, reason: str
) -> ReleaseDecision:
    """A customs supervisor issues or overrides the release decision; the reason is mandatory.

    Allowed while the declaration is in review or waiting on the trader (either outcome, whatever
    the agencies' reviews say), and to release a declaration that was refused. Side effects: the
    ``ReleaseDecision`` (``override``, the supervisor, the reason; not automatic), the declaration's
    transition audited as ``clearance.release.overridden`` (on the timeline), notifications and
    e-mails to the trader. Reviews still open stay as they are and leave the officers' queues.
    """
    if supervisor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise NotFound(_("No such declaration."))
    if outcome not in Outcome.values:
        raise DomainError(
            "invalid_outcome",
            _("The outcome must be one of: %(choices)s.") % {"choices": ", ".join(Outcome.values)},
        )
    reason = (reason or "").strip()
    if not reason:
        message = _("Say why you override the release decision.")
        raise DomainError(
            "reason_required",
            message,
            errors=[{"pointer": "reason", "code": "reason_required", "message": message}],
        )
    locked = Declaration.objects.select_for_update().get(pk=declaration.pk)
    expected = set(OVERRIDE_TO_RELEASE if outcome == Outcome.RELEASED else OVERRIDE_TO_REFUSE)
    reviews = list(locked.reviews.select_related("agency").order_by("agency__name"))
    return _decision_record(
        declaration=locked,
        outcome=Outcome(outcome),
        reasons=[_review_reason(r) for r in reviews],
        expected=expected,
        supervisor=supervisor,
        override_reason=reason,
    )


# Notifications ------------------------------------------------------------------------------


def _trader_recipients(declaration: Declaration) -> list[User]:
    """The trader account's members and the user who lodged (a broker), active, each once.

    The user who lodged is told only while it may still see the declaration: a member of, or
    authorised to represent, its trader or declarant account (a revoked broker is told nothing).
    """
    members = TraderAccountUserObjectPermission.objects.filter(
        content_object_id=declaration.trader_account_id, permission__codename=PERM_MEMBER
    ).values("user_id")
    lodger_still_acts = TraderAccountUserObjectPermission.objects.filter(
        user_id=declaration.lodged_by_id,
        content_object_id__in=[declaration.trader_account_id, declaration.declarant_account_id],
        permission__codename__in=[PERM_MEMBER, PERM_REPRESENT],
        content_object__is_active=True,
    ).values("user_id")
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=members) | Q(pk__in=lodger_still_acts))
        .order_by("pk")
    )


def _trader_notify(*, declaration: Declaration, kind: str, message: str) -> list[Notification]:
    """Portal notifications now (in the caller's transaction); e-mails after commit, outside it."""
    recipients = _trader_recipients(declaration)
    notifications = Notification.objects.bulk_create(
        Notification(
            user=user,
            trader_account_id=declaration.trader_account_id,
            declaration=declaration,
            kind=kind,
            message=message,
        )
        for user in recipients
    )
    subject = _("Declaration %(mrn)s") % {"mrn": declaration.mrn}
    mails = [(subject, message, settings.DEFAULT_FROM_EMAIL, [u.email]) for u in recipients if u.email]
    if mails:
        # A mail server down must not undo the decision: the portal notification is the record.
        transaction.on_commit(lambda: _send_mails(mails), robust=True)
    return notifications


def trader_notify(*, declaration: Declaration, kind: str, message: str) -> list[Notification]:
    """Tell the trader (portal notification now, e-mail after commit): ``_trader_notify`` for the
    other clearance modules (the inspections)."""
    return _trader_notify(declaration=declaration, kind=kind, message=message)


def _send_mails(mails: list[tuple[str, str, str, list[str]]]) -> None:
    send_mass_mail(tuple(mails), fail_silently=False)


@transaction.atomic(durable=True)
def information_request_notify(*, request_id: int) -> list[Notification]:
    """Tell the trader an agency asked a question (portal and e-mail); once per question."""
    # Two copies of this task can run at once (a redelivery, the sweep): the row lock makes the
    # second wait for the first to commit, and then it finds the notification already there.
    request = (
        InformationRequest.objects.select_for_update(of=("self",))
        .select_related("review__agency", "review__declaration")
        .filter(pk=request_id)
        .first()
    )
    if request is None or not request.is_open:
        return []
    declaration = request.review.declaration
    message = _("Declaration %(mrn)s: %(agency)s asks: %(question)s") % {
        "mrn": declaration.mrn,
        "agency": request.review.agency.name,
        "question": request.question,
    }
    already = Notification.objects.filter(
        declaration=declaration,
        kind=NotificationKind.INFO_REQUESTED,
        message=message,
        created_at__gte=request.asked_at,
    ).exists()
    if already:
        return []
    return _trader_notify(declaration=declaration, kind=NotificationKind.INFO_REQUESTED, message=message)


@transaction.atomic(durable=True)
def notification_mark_read(*, notification: Notification, user: User) -> None:
    """Mark one of the user's notifications read (someone else's: 404)."""
    updated = Notification.objects.filter(pk=notification.pk, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if updated == 0 and not Notification.objects.filter(pk=notification.pk, user=user).exists():
        raise NotFound(_("No such notification."))


@transaction.atomic(durable=True)
def notifications_mark_read(*, user: User, notification_ids: list[int]) -> int:
    """Mark these of the user's notifications read in one update; others' ids are ignored."""
    return Notification.objects.filter(pk__in=notification_ids, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# Sweep --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stuck:
    """What the sweep re-drives: declarations to route, to consolidate, questions to tell about."""

    to_route: list[int]
    to_consolidate: list[int]
    to_notify: list[int]


# A question the trader was never told about is re-driven for this long after it was asked; past
# that, a trader account with nobody to tell would be looked at on every sweep for ever.
NOTIFY_REDRIVE_WINDOW = timedelta(days=2)


def declarations_stuck(
    *, older_than: timedelta, requeued_within: timedelta = timedelta(0), limit: int = 500
) -> Stuck:
    """What the pipeline should have moved by now, oldest first.

    Declarations accepted longer than ``older_than`` and not routed; in review with every review
    decided and no release decision for longer than that (the consolidation task was lost); open
    questions asked longer ago than that and never notified (the notification task was lost).
    Leaves out what the sweep re-enqueued within ``requeued_within`` (``Redrive``): it may still
    wait in the queue.
    """
    now = timezone.now()
    cutoff = now - older_than

    def requeued(kind: RedriveKind) -> Exists:
        recent = Redrive.objects.filter(
            kind=kind, object_id=OuterRef("pk"), requeued_at__gte=now - requeued_within
        )
        return Exists(recent)

    to_route = list(
        Declaration.objects.filter(status=DeclarationStatus.ACCEPTED, accepted_at__lt=cutoff)
        .filter(~requeued(RedriveKind.ROUTE))
        .order_by("accepted_at")
        .values_list("pk", flat=True)[:limit]
    )
    open_review = AgencyReview.objects.filter(declaration=OuterRef("pk"), status__in=OPEN_STATUSES)
    # Waiting on a control is not stuck: recording it consolidates (not re-driven on every sweep).
    open_control = ControlTask.objects.filter(declaration=OuterRef("pk"), status__in=OPEN_CONTROL)
    to_consolidate = list(
        Declaration.objects.filter(status=DeclarationStatus.IN_REVIEW, updated_at__lt=cutoff)
        .filter(~Exists(open_review), ~Exists(open_control), ~requeued(RedriveKind.CONSOLIDATE))
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    # Told about this question: a notification of the kind since it was asked, quoting it (another
    # agency's question at about the same time does not count).
    told = Notification.objects.filter(
        declaration=OuterRef("review__declaration"),
        kind=NotificationKind.INFO_REQUESTED,
        created_at__gte=OuterRef("asked_at"),
        message__contains=OuterRef("question"),
    )
    to_notify = list(
        InformationRequest.objects.filter(
            answered_at__isnull=True,
            asked_at__lt=cutoff,
            asked_at__gte=now - NOTIFY_REDRIVE_WINDOW,
            review__declaration__status__in=UNDER_REVIEW,
        )
        .filter(~Exists(told), ~requeued(RedriveKind.NOTIFY))
        .order_by("asked_at")
        .values_list("pk", flat=True)[:limit]
    )
    return Stuck(to_route=to_route, to_consolidate=to_consolidate, to_notify=to_notify)


def redrive_claim(*, kind: RedriveKind, object_ids: list[int], wait: timedelta) -> list[int]:
    """Stamp ``object_ids`` re-enqueued now; returns those this caller claimed (it publishes them).

    Stamps older than ``wait`` are dropped first (what they stood for is due again, or done). Each
    stamp is inserted with ``ON CONFLICT DO NOTHING … RETURNING``: of two sweeps at once, each
    object goes to the one that inserted its stamp.
    """
    now = timezone.now()
    Redrive.objects.filter(requeued_at__lt=now - wait).delete()
    if not object_ids:
        return []
    table = connection.ops.quote_name(Redrive._meta.db_table)
    rows = ", ".join(["(%s, %s, %s)"] * len(object_ids))
    params: list[Any] = []
    for object_id in object_ids:
        params += [kind.value, object_id, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kind, object_id, requeued_at) VALUES {rows} "  # noqa: S608 - names are ours
            "ON CONFLICT (kind, object_id) DO NOTHING RETURNING object_id",
            params,
        )
        claimed = {int(row[0]) for row in cursor.fetchall()}
    return [object_id for object_id in object_ids if object_id in claimed]
