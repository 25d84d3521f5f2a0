"""Reviews opened by routing, then claimed, put back and decided by officers (or an agency's system)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from declarations.models import Declaration, ResponseKind
from declarations.models import Status as DeclarationStatus
from declarations.responses import response_record
from declarations.services import declaration_transition
from singlewindow.audit import AuditEntry, audit_log_many
from singlewindow.errors import DomainError
from singlewindow.outbox import outbox_put

from ..errors import ReviewConflict
from ..models import AEO_PRIORITY, HOLDER_DECIDES, AgencyReview, InformationRequest, ReviewStatus
from ..routing import AgencyRoute
from ..webhooks import review_payload
from .common import (
    OUTCOMES,
    REASON_REQUIRED,
    TOPIC_REVIEW_DECIDED,
    delivery_open,
    officer_guard,
    review_transition,
)


def review_priority(declaration: Declaration) -> int:
    """The queue priority of the declaration's reviews: ``AEO_PRIORITY`` when its trader account
    holds an AEO authorisation in force on the acceptance date (today if not yet accepted), else 0.

    Reads the trader account (one query, none when the declaration already holds it).
    """
    account = declaration.trader_account if declaration.trader_account_id is not None else None
    if account is None:
        return 0
    accepted = declaration.accepted_at
    day = timezone.localdate(accepted) if accepted is not None else timezone.localdate()
    return AEO_PRIORITY if account.aeo_valid_on(day) else 0


def reviews_open(*, declaration: Declaration, routes: Sequence[AgencyRoute]) -> list[AgencyReview]:
    """Open one review per route (the caller holds the declaration's row lock, in its transaction).

    Side effects: the reviews with their items, reasons and due time (created + the agency's
    service level) and queue priority (``review_priority``: AEOs first); reviews the system may
    decide are written approved automatically at once (status, time, reason: no waiting state to
    move out of, nobody else can see them yet); the
    audit events (``agencies.review.created`` each, then ``agencies.review.auto_approved`` for
    those) in one insert; for agencies with a webhook endpoint, a ``WebhookDelivery`` and an outbox
    row each. A fixed number of statements whatever the number of agencies (plus two per webhook
    agency). The unique (declaration, agency) constraint makes a second run fail rather than
    duplicate.
    """
    now = timezone.now()
    priority = review_priority(declaration) if routes else 0
    reviews = AgencyReview.objects.bulk_create(
        AgencyReview(
            declaration=declaration,
            agency=route.agency,
            priority=priority,
            reasons=route.reasons,
            missing_documents=route.missing_documents,
            licence_findings=route.licence_findings,
            created_at=now,
            updated_at=now,
            due_at=AgencyReview.due_for(route.agency, now),
            **(
                {
                    "status": ReviewStatus.AUTO_APPROVED,
                    "decided_at": now,
                    "decision_reason": route.auto_reason,
                }
                if route.auto_approve
                else {}
            ),
        )
        for route in routes
    )
    through = AgencyReview.items.through
    through.objects.bulk_create(
        through(agencyreview_id=review.pk, goodsitem_id=item.pk)
        for review, route in zip(reviews, routes, strict=True)
        for item in route.items
    )
    events: list[AuditEntry] = []
    for review, route in zip(reviews, routes, strict=True):
        events.append(
            AuditEntry(
                action="agencies.review.created",
                obj=review,
                data={
                    "to": ReviewStatus.PENDING,
                    "agency": route.agency.code,
                    "declaration": declaration.pk,
                    "items": [item.sequence for item in route.items],
                },
            )
        )
        if route.auto_approve:
            # The same event a transition out of pending writes (see review_transition).
            events.append(
                AuditEntry(
                    action="agencies.review.auto_approved",
                    obj=review,
                    data={
                        "from": ReviewStatus.PENDING,
                        "to": ReviewStatus.AUTO_APPROVED,
                        "reason": route.auto_reason,
                        "agency": route.agency.code,
                        "declaration": declaration.pk,
                    },
                )
            )
    # Created first, approved second: the timeline orders by time, then by id.
    audit_log_many(events)
    for review, route in zip(reviews, routes, strict=True):
        if route.agency.webhook_url:
            delivery_open(
                review=review,
                payload=review_payload(review=review, declaration=declaration, items=route.items),
            )
    return reviews


@transaction.atomic(durable=True)
def review_claim(*, review: AgencyReview, officer: User) -> AgencyReview:
    """Take a waiting review: it becomes the officer's and moves to ``in_review``.

    Two officers can claim at once: the compare-and-set (``claimed_by IS NULL AND status =
    'pending'``) lets only the first through; the second gets ``ReviewConflict`` (409). A review a
    supervisor's decision withdrew (``withdrawn_at``, stamped under the declaration's lock) can no
    longer be taken: the same compare-and-set checks it. Audited.
    """
    officer_guard(review, officer)
    current = AgencyReview.objects.get(pk=review.pk)
    if current.is_in_review and current.is_held_by(officer):
        return current  # claiming one's own review again changes nothing
    return review_transition(
        review_id=review.pk,
        expected={ReviewStatus.PENDING},
        to=ReviewStatus.IN_REVIEW,
        actor=officer,
        action="agencies.review.claimed",
        where={"claimed_by__isnull": True, "withdrawn_at__isnull": True},
        updates={"claimed_by": officer, "claimed_at": timezone.now()},
        conflict=_claim_conflict,
        conflict_code="review_claimed",
    )


def _claim_conflict(review: AgencyReview) -> str:
    if review.withdrawn_at is not None:
        return _("A customs supervisor has already decided this declaration: its reviews are closed.")
    # Read under the lock, after the winner committed: name who has it.
    if review.claimed_by_id is not None:
        holder = User.objects.only("username").get(pk=review.claimed_by_id).username
        return _("Another officer (%(user)s) has already taken this review.") % {"user": holder}
    return _("This review is %(status)s; only a waiting review can be taken.") % {
        "status": review.get_status_display()
    }


@transaction.atomic(durable=True)
def review_release_claim(*, review: AgencyReview, officer: User) -> AgencyReview:
    """Put a claimed review back in the agency's queue (``pending``, unclaimed). Audited.

    Only the officer who holds it may, or a customs supervisor.
    """
    is_supervisor = officer.role in (Role.SUPERVISOR, Role.ADMIN)
    if not is_supervisor:
        officer_guard(review, officer)
    where = {} if is_supervisor else {"claimed_by": officer}
    return review_transition(
        review_id=review.pk,
        expected={ReviewStatus.IN_REVIEW},
        to=ReviewStatus.PENDING,
        actor=officer,
        action="agencies.review.claim_released",
        where=where,
        updates={"claimed_by": None, "claimed_at": None},
        conflict=_("Only the officer who took this review can put it back, while it is in review."),
    )


@transaction.atomic(durable=True)
def review_decide(*, review: AgencyReview, officer: User, outcome: str, reason: str = "") -> AgencyReview:
    """Record an agency's decision on its part of a declaration.

    ``outcome``: ``approved``, ``rejected`` (reason required), ``info_requested`` (reason required:
    it is the question to the trader) or ``inspection_required``. The officer must hold the review,
    or the review must be waiting unclaimed (deciding then claims it in the same update: what an
    agency's own system does). A review that required an inspection is decided afterwards by the
    officer who holds it.

    Side effects, in one transaction: the review's status, decider and reason; for an information
    request an ``InformationRequest`` and the declaration moved to ``info_requested``; audit events;
    an outbox row (``agencies.review.decided``) from which clearance consolidates the declaration
    or notifies the trader after commit. Raises ``DomainError`` for a bad outcome or a missing
    reason, ``ReviewConflict`` when the review or the declaration is not open to this decision.
    """
    if outcome not in OUTCOMES:
        raise DomainError(
            "invalid_outcome",
            _("The outcome must be one of: %(choices)s.") % {"choices": ", ".join(OUTCOMES)},
            errors=[{"pointer": "outcome", "code": "invalid_outcome", "message": _("Unknown outcome.")}],
        )
    reason = (reason or "").strip()
    if outcome in REASON_REQUIRED and not reason:
        message = (
            _("Say why the goods are rejected.")
            if outcome == ReviewStatus.REJECTED
            else _("Write the question for the trader.")
        )
        raise DomainError(
            "reason_required",
            message,
            errors=[{"pointer": "reason", "code": "reason_required", "message": message}],
        )
    officer_guard(review, officer)

    # Lock order: declaration, then review.
    declaration = Declaration.objects.select_for_update().get(pk=review.declaration_id)
    if not declaration.is_under_review:
        raise ReviewConflict(
            "declaration_closed",
            _("Declaration %(mrn)s is %(status)s: its reviews can no longer be decided.")
            % {"mrn": declaration.mrn, "status": declaration.get_status_display()},
        )
    current = AgencyReview.objects.select_for_update().get(pk=review.pk)
    now = timezone.now()
    if current.can_claim:
        expected = {ReviewStatus.PENDING}
        where: dict[str, Any] = {"claimed_by__isnull": True}
        claim: dict[str, Any] = {"claimed_by": officer, "claimed_at": now}
    elif current.claimed_by_id is not None and current.claimed_by_id != officer.pk:
        raise ReviewConflict("review_claimed", _("Another officer has taken this review."))
    else:
        expected = set(HOLDER_DECIDES)
        where, claim = {"claimed_by": officer}, {}
    if current.requires_inspection and outcome == ReviewStatus.INSPECTION_REQUIRED:
        raise ReviewConflict("review_state", _("An inspection is already required for this review."))

    final = outcome in (ReviewStatus.APPROVED, ReviewStatus.REJECTED)
    decided = (
        {"decided_by": officer, "decided_at": now, "decision_reason": reason}
        if final
        else {"decision_reason": reason}
    )
    updated = review_transition(
        review_id=review.pk,
        expected=expected,
        to=outcome,
        actor=officer,
        action=f"agencies.review.{outcome}",
        reason=reason,
        where=where,
        updates={**claim, **decided},
        conflict=_("This review is no longer open to a decision (status: %(status)s).")
        % {"status": current.get_status_display()},
    )
    if outcome == ReviewStatus.INFO_REQUESTED:
        InformationRequest.objects.create(review=updated, question=reason, asked_by=officer, asked_at=now)
        # The trader is answered in its standard: a DMS 06 (additional documents required).
        response_record(
            declaration=declaration, kind=ResponseKind.DOCUMENTS_REQUIRED, reasons=[reason], at=now
        )
        if declaration.is_in_review:
            declaration_transition(
                declaration_id=declaration.pk,
                expected={DeclarationStatus.IN_REVIEW},
                to=DeclarationStatus.INFO_REQUESTED,
                actor=officer,
                action="declarations.declaration.info_requested",
                reason=reason,
                data={"agency": updated.agency.code},
            )
    elif outcome == ReviewStatus.INSPECTION_REQUIRED:
        response_record(declaration=declaration, kind=ResponseKind.CONTROL, at=now)  # DMS 05
    outbox_put(
        topic=TOPIC_REVIEW_DECIDED,
        object_id=updated.pk,
        payload={"declaration_id": declaration.pk, "outcome": outcome},
    )
    return updated
