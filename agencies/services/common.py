"""What the other service modules share: the outbox topics, the one way a review's status changes
(``review_transition``), the officer guard, and opening a webhook delivery in the caller's
transaction."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from declarations.models import UNDER_REVIEW
from singlewindow.audit import audit_log

# Longer than any attempt can take: the task's hard time limit kills a copy before its lease ends
# (an endpoint may trickle its answer: the 10 s read timeout applies between bytes, not to the whole).
# Past it, a copy that died mid-send no longer holds its delivery. The core's, shared by every push.
from singlewindow.delivery import DELIVERY_LEASE as DELIVERY_LEASE
from singlewindow.errors import DomainError, NotFound
from singlewindow.outbox import outbox_put

from ..access import may_decide_for
from ..errors import ReviewConflict
from ..models import AgencyReview, DecisionOutcome, InformationRequest, ReviewStatus, WebhookDelivery

TOPIC_REVIEW_DECIDED = "agencies.review.decided"
TOPIC_DELIVERY_SEND = "agencies.delivery.send"

OUTCOMES = tuple(DecisionOutcome.values)
# An officer must say why when refusing or asking.
REASON_REQUIRED = (ReviewStatus.REJECTED, ReviewStatus.INFO_REQUESTED)
# Declaration states in which agencies still decide (``Declaration.is_under_review``), for queries.
DECLARATION_UNDER_REVIEW = UNDER_REVIEW


def review_transition(
    *,
    review_id: int,
    expected: Collection[str],
    to: str,
    actor: User | None,
    action: str,
    reason: str = "",
    where: dict[str, Any] | None = None,
    updates: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    conflict: str | Callable[[AgencyReview], str] = "",
    conflict_code: str = "review_state",
) -> AgencyReview:
    """Move a review from one of ``expected`` to ``to``: the one way a review's status changes.

    Locks the review row, then compare-and-set (``UPDATE … WHERE status IN expected AND where``)
    with ``updates``, and writes the audit event ``action`` in the same transaction. Raises
    ``ReviewConflict`` (``conflict_code``; ``conflict`` as its message, or a function of the
    review as found) if the review is elsewhere.
    """
    expected = {str(s) for s in expected}
    # Every caller is a durable service: a conflict rolls back its whole transaction anyway, so a
    # savepoint here would buy nothing.
    with transaction.atomic(savepoint=False):
        review = AgencyReview.objects.select_for_update().select_related("agency").get(pk=review_id)
        before = review.status
        now = timezone.now()
        updated = 0
        if before in expected:
            updated = AgencyReview.objects.filter(pk=review_id, status__in=expected, **(where or {})).update(
                status=to, updated_at=now, **(updates or {})
            )
        if updated != 1:
            message = conflict(review) if callable(conflict) else conflict
            raise ReviewConflict(
                conflict_code,
                message
                or _("This review is %(status)s; it cannot be changed that way now.")
                % {"status": review.get_status_display()},
            )
        review.refresh_from_db()
        audit_log(
            action=action,
            obj=review,
            actor=actor,
            data={
                "from": before,
                "to": to,
                "reason": reason,
                "agency": review.agency.code,
                "declaration": review.declaration_id,
                **(data or {}),
            },
        )
    return review


def officer_guard(review: AgencyReview, officer: User) -> None:
    if may_decide_for(officer, review.agency_id):
        return
    if officer.role in (Role.SUPERVISOR, Role.ADMIN):
        # They read every review: say why they may not act, rather than pretend it is not there.
        raise DomainError(
            "officers_only",
            _(
                "Only an officer of %(agency)s takes and decides its reviews; a customs supervisor "
                "decides the release of the declaration instead."
            )
            % {"agency": review.agency.name},
            status=403,
        )
    # Same answer as "no such review": an officer of another agency learns nothing.
    raise NotFound(_("No such review."))


def delivery_open(
    *,
    review: AgencyReview,
    payload: dict[str, Any],
    event: str = WebhookDelivery.EVENT_REVIEW_CREATED,
    information_request: InformationRequest | None = None,
) -> None:
    """A delivery to the review's agency's own system, published after commit (in the caller's
    transaction)."""
    delivery = WebhookDelivery.objects.create(
        review=review,
        agency=review.agency,
        event=event,
        information_request=information_request,
        payload=payload,
    )
    delivery_publish(delivery)


def delivery_publish(delivery: WebhookDelivery) -> None:
    outbox_put(
        topic=TOPIC_DELIVERY_SEND, object_id=delivery.pk, payload={"queue": delivery.agency.queue_name}
    )
