"""Agency reviews: opened by routing, claimed and decided by officers, answered by traders.

Every review status change goes through ``_review_transition`` (a compare-and-set update plus an
audit event in the same transaction); declaration status changes go through
``declarations.services.declaration_transition``. What leaves the process (consolidation,
notifications, webhook deliveries) is written to the outbox in the same transaction and published
after commit:

- ``agencies.review.decided`` (object: the review; payload ``declaration_id``, ``outcome``):
  clearance consolidates the declaration, or tells the trader about a question.
- ``agencies.delivery.send`` (object: the ``WebhookDelivery``; payload ``queue``): the delivery task
  on the agency's own Celery queue.

Lock order, everywhere: the declaration row first, then the review row. Two officers acting on the
same declaration therefore serialise instead of deadlocking.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus
from declarations.selectors import declarations_visible_to
from declarations.services import declaration_transition
from singlewindow.audit import AuditEntry, audit_log, audit_log_many
from singlewindow.errors import DomainError, NotFound
from singlewindow.outbox import outbox_put

from . import egress
from .access import may_decide_for
from .errors import AttachmentRefused, ReviewConflict
from .models import (
    Agency,
    AgencyReview,
    Attachment,
    CircuitState,
    DecisionOutcome,
    DeliveryCircuit,
    DeliveryStatus,
    InformationRequest,
    ReviewStatus,
    WebhookDelivery,
    agency_queue,
)
from .routing import AgencyRoute
from .webhooks import answer_payload, review_payload, signed_request

logger = logging.getLogger(__name__)

TOPIC_REVIEW_DECIDED = "agencies.review.decided"
TOPIC_DELIVERY_SEND = "agencies.delivery.send"

OUTCOMES = tuple(DecisionOutcome.values)
# An officer must say why when refusing or asking.
REASON_REQUIRED = (ReviewStatus.REJECTED, ReviewStatus.INFO_REQUESTED)
# Declaration states in which agencies still decide; after release or refusal reviews are moot.
DECLARATION_UNDER_REVIEW = (DeclarationStatus.IN_REVIEW, DeclarationStatus.INFO_REQUESTED)

ATTACHMENT_TYPES = {
    # content type: (extensions, leading bytes or None when any text will do)
    "application/pdf": ((".pdf",), b"%PDF-"),
    "image/png": ((".png",), b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": ((".jpg", ".jpeg"), b"\xff\xd8\xff"),
    "application/xml": ((".xml",), None),
    "text/xml": ((".xml",), None),
    "text/plain": ((".txt",), None),
}
MAX_ATTACHMENTS = 10
# Longer than any attempt can take: the task's hard time limit kills a copy before its lease ends
# (an endpoint may trickle its answer: the 10 s read timeout applies between bytes, not to the whole).
# Past it, a copy that died mid-send no longer holds its delivery.
DELIVERY_LEASE = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)


def _review_transition(
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


def reviews_open(*, declaration: Declaration, routes: Sequence[AgencyRoute]) -> list[AgencyReview]:
    """Open one review per route (the caller holds the declaration's row lock, in its transaction).

    Side effects: the reviews with their items, reasons and due time (created + the agency's
    service level); reviews the system may decide are written approved automatically at once
    (status, time, reason: no waiting state to move out of, nobody else can see them yet); the
    audit events (``agencies.review.created`` each, then ``agencies.review.auto_approved`` for
    those) in one insert; for agencies with a webhook endpoint, a ``WebhookDelivery`` and an outbox
    row each. A fixed number of statements whatever the number of agencies (plus two per webhook
    agency). The unique (declaration, agency) constraint makes a second run fail rather than
    duplicate.
    """
    now = timezone.now()
    reviews = AgencyReview.objects.bulk_create(
        AgencyReview(
            declaration=declaration,
            agency=route.agency,
            reasons=route.reasons,
            missing_documents=route.missing_documents,
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
            # The same event a transition out of pending writes (see _review_transition).
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
            _delivery_open(
                review=review,
                payload=review_payload(review=review, declaration=declaration, items=route.items),
            )
    return reviews


def _delivery_open(
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
    _delivery_publish(delivery)


def _delivery_publish(delivery: WebhookDelivery) -> None:
    outbox_put(
        topic=TOPIC_DELIVERY_SEND, object_id=delivery.pk, payload={"queue": delivery.agency.queue_name}
    )


def _officer_guard(review: AgencyReview, officer: User) -> None:
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


@transaction.atomic(durable=True)
def review_claim(*, review: AgencyReview, officer: User) -> AgencyReview:
    """Take a waiting review: it becomes the officer's and moves to ``in_review``.

    Two officers can claim at once: the compare-and-set (``claimed_by IS NULL AND status =
    'pending'``) lets only the first through; the second gets ``ReviewConflict`` (409). A review a
    supervisor's decision withdrew (``withdrawn_at``, stamped under the declaration's lock) can no
    longer be taken: the same compare-and-set checks it. Audited.
    """
    _officer_guard(review, officer)
    current = AgencyReview.objects.get(pk=review.pk)
    if current.claimed_by_id == officer.pk and current.status == ReviewStatus.IN_REVIEW:
        return current  # claiming one's own review again changes nothing
    return _review_transition(
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
        _officer_guard(review, officer)
    where = {} if is_supervisor else {"claimed_by": officer}
    return _review_transition(
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
    _officer_guard(review, officer)

    # Lock order: declaration, then review.
    declaration = Declaration.objects.select_for_update().get(pk=review.declaration_id)
    if declaration.status not in DECLARATION_UNDER_REVIEW:
        raise ReviewConflict(
            "declaration_closed",
            _("Declaration %(mrn)s is %(status)s: its reviews can no longer be decided.")
            % {"mrn": declaration.mrn, "status": declaration.get_status_display()},
        )
    current = AgencyReview.objects.select_for_update().get(pk=review.pk)
    now = timezone.now()
    if current.status == ReviewStatus.PENDING and current.claimed_by_id is None:
        expected = {ReviewStatus.PENDING}
        where: dict[str, Any] = {"claimed_by__isnull": True}
        claim: dict[str, Any] = {"claimed_by": officer, "claimed_at": now}
    elif current.claimed_by_id is not None and current.claimed_by_id != officer.pk:
        raise ReviewConflict("review_claimed", _("Another officer has taken this review."))
    else:
        expected = {ReviewStatus.IN_REVIEW, ReviewStatus.INSPECTION_REQUIRED}
        where, claim = {"claimed_by": officer}, {}
    if current.status == ReviewStatus.INSPECTION_REQUIRED and outcome == ReviewStatus.INSPECTION_REQUIRED:
        raise ReviewConflict("review_state", _("An inspection is already required for this review."))

    final = outcome in (ReviewStatus.APPROVED, ReviewStatus.REJECTED)
    decided = (
        {"decided_by": officer, "decided_at": now, "decision_reason": reason}
        if final
        else {"decision_reason": reason}
    )
    updated = _review_transition(
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
        if declaration.status == DeclarationStatus.IN_REVIEW:
            declaration_transition(
                declaration_id=declaration.pk,
                expected={DeclarationStatus.IN_REVIEW},
                to=DeclarationStatus.INFO_REQUESTED,
                actor=officer,
                action="declarations.declaration.info_requested",
                reason=reason,
                data={"agency": updated.agency.code},
            )
    outbox_put(
        topic=TOPIC_REVIEW_DECIDED,
        object_id=updated.pk,
        payload={"declaration_id": declaration.pk, "outcome": outcome},
    )
    return updated


def information_answer(
    *,
    information_request: InformationRequest,
    user: User,
    answer: str,
    attachments: Sequence[UploadedFile] = (),
) -> InformationRequest:
    """The trader answers an agency's question, with text and optional files.

    Files are checked (type, size) and written to storage before the transaction (removed again if
    it fails). Then, in one transaction: the answer, the attachments, the review back to
    ``in_review`` for the officer who asked, and the declaration back to ``in_review`` when no other
    question is open on it; audit events; for an agency with its own system, a ``review.answered``
    delivery through the outbox. Raises ``NotFound`` when the user may not see the
    declaration, ``DomainError`` for an empty answer or a refused file, ``ReviewConflict`` when the
    question was already answered or the declaration is no longer under review (a supervisor
    decided it meanwhile).
    """
    declaration_id = information_request.review.declaration_id
    if user.role not in (Role.TRADER, Role.BROKER) or not (
        declarations_visible_to(user).filter(pk=declaration_id).exists()
    ):
        raise NotFound(_("No such information request."))
    answer = (answer or "").strip()
    if not answer:
        message = _("Write an answer to the agency's question.")
        raise DomainError(
            "answer_required",
            message,
            errors=[{"pointer": "answer", "code": "answer_required", "message": message}],
        )
    checked = [_attachment_check(f) for f in attachments]
    if len(checked) > MAX_ATTACHMENTS:
        raise AttachmentRefused(
            "too_many_attachments", _("Attach at most %(n)s files.") % {"n": MAX_ATTACHMENTS}
        )
    stored: list[tuple[str, UploadedFile, str]] = []
    try:
        for upload, content_type in checked:
            name = Attachment.file.field.generate_filename(
                Attachment(request=information_request), upload.name or "attachment"
            )
            stored.append((default_storage.save(name, upload), upload, content_type))
        return _answer_record(
            information_request=information_request, user=user, answer=answer, stored=stored
        )
    except BaseException:
        for name, _upload, _type in stored:
            default_storage.delete(name)
        raise


def _attachment_check(upload: UploadedFile) -> tuple[UploadedFile, str]:
    from pathlib import PurePath

    name = upload.name or ""
    cap = settings.SW_MAX_ATTACHMENT_BYTES
    if upload.size is None or upload.size > cap:
        raise AttachmentRefused(
            "attachment_too_large",
            _("%(name)s is larger than the limit of %(cap)s bytes.") % {"name": name, "cap": cap},
        )
    suffix = PurePath(name).suffix.lower()
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    allowed = ATTACHMENT_TYPES.get(declared)
    if allowed is None:
        # Browsers are vague about XML and text; go by the extension among the allowed types.
        declared, allowed = next(((t, a) for t, a in ATTACHMENT_TYPES.items() if suffix in a[0]), ("", None))
    if allowed is None or suffix not in allowed[0]:
        raise AttachmentRefused(
            "attachment_type",
            _("%(name)s: attach a PDF, PNG, JPEG, XML or plain text file.") % {"name": name},
        )
    magic = allowed[1]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if magic is not None and not head.startswith(magic):
        raise AttachmentRefused(
            "attachment_type", _("%(name)s is not the kind of file its name says.") % {"name": name}
        )
    return upload, declared


@transaction.atomic(durable=True)
def _answer_record(
    *,
    information_request: InformationRequest,
    user: User,
    answer: str,
    stored: list[tuple[str, UploadedFile, str]],
) -> InformationRequest:
    review = information_request.review
    declaration = Declaration.objects.select_for_update().get(pk=review.declaration_id)
    if declaration.status not in DECLARATION_UNDER_REVIEW:
        # A supervisor released or refused it while the trader was writing: nobody waits for this.
        raise ReviewConflict(
            "declaration_closed",
            _("Declaration %(mrn)s is %(status)s: the agencies' questions on it are closed.")
            % {"mrn": declaration.mrn, "status": declaration.get_status_display()},
        )
    now = timezone.now()
    answered = InformationRequest.objects.filter(pk=information_request.pk, answered_at__isnull=True).update(
        answer=answer, answered_by=user, answered_at=now
    )
    if answered != 1:
        raise ReviewConflict("request_answered", _("This question has already been answered."))
    Attachment.objects.bulk_create(
        Attachment(
            request=information_request,
            file=name,
            original_name=(upload.name or "attachment")[:200],
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=user,
            uploaded_at=now,
        )
        for name, upload, content_type in stored
    )
    _review_transition(
        review_id=review.pk,
        expected={ReviewStatus.INFO_REQUESTED},
        to=ReviewStatus.IN_REVIEW,
        actor=user,
        action="agencies.review.info_answered",
        data={"request": information_request.pk, "attachments": len(stored)},
    )
    if review.agency.webhook_url:
        # The agency's own system learns of the answer as it learned of the review.
        information_request.refresh_from_db()
        _delivery_open(
            review=review,
            event=WebhookDelivery.EVENT_REVIEW_ANSWERED,
            information_request=information_request,
            payload=answer_payload(information_request=information_request),
        )
    still_open = InformationRequest.objects.filter(
        review__declaration_id=declaration.pk, answered_at__isnull=True
    ).exists()
    if not still_open and declaration.status == DeclarationStatus.INFO_REQUESTED:
        declaration_transition(
            declaration_id=declaration.pk,
            expected={DeclarationStatus.INFO_REQUESTED},
            to=DeclarationStatus.IN_REVIEW,
            actor=user,
            action="declarations.declaration.info_provided",
            data={"agency": review.agency.code},
        )
    information_request.refresh_from_db()
    return information_request


# Webhook deliveries -------------------------------------------------------------------------


def webhook_send(*, delivery_id: int, final_attempt: bool, circuit: bool = True) -> WebhookDelivery:
    """POST one delivery to its agency's endpoint, signed; record the attempt on the row.

    Idempotent: a delivered row is not sent again. Two copies of the task can run at once (a
    redelivery, the sweep): each attempt first takes the row for ``DELIVERY_LEASE`` with a
    compare-and-set (``sending_until`` empty or past), so only one of them posts; the other
    returns at once. On success the row is ``delivered``. On failure the error is recorded and
    ``DeliveryError`` is raised so the task retries, unless ``final_attempt``: then the row is
    ``failed`` (an administrator can replay it). No transaction is held during the HTTP call.
    Delivery is at least once (a crash after the POST sends it again): agencies de-duplicate by
    the ``X-SingleWindow-Delivery`` header.

    With ``circuit`` (the worker; not the embedded mode, which has nobody to release parked rows)
    the agency's circuit breaker applies (``DeliveryCircuit``): while it is open the delivery is
    parked instead (pending, not attempted, no attempt counted, nothing raised); once the cool-off
    has passed one delivery goes as the trial. A failure that opens the circuit (the
    ``SW_WEBHOOK_CIRCUIT_FAILURES``-th in a row, or a failed trial) parks its delivery too and
    schedules the next trial; a success closes it and releases the parked deliveries.
    """
    from .errors import DeliveryError

    delivery = WebhookDelivery.objects.select_related("agency").get(pk=delivery_id)
    if delivery.status == DeliveryStatus.DELIVERED:
        return delivery
    agency = delivery.agency
    trial = False
    if circuit:
        gate = _circuit_gate(agency_id=agency.pk)
        if gate == _PARK and _delivery_park(delivery_id=delivery.pk):
            delivery.refresh_from_db()
            return delivery
        trial = gate == _TRIAL
    started = timezone.now()
    taken = (
        WebhookDelivery.objects.filter(pk=delivery.pk)
        .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=started))
        .exclude(status=DeliveryStatus.DELIVERED)
        .update(
            attempts=F("attempts") + 1,
            last_attempt_at=started,
            sending_until=started + DELIVERY_LEASE,
            parked_at=None,
        )
    )
    if taken != 1:
        # Another copy is sending it right now (or delivered it): that one records the outcome and
        # retries if need be. A copy that crashed mid-send holds the row only until its lease ends.
        if trial:
            DeliveryCircuit.objects.filter(agency_id=agency.pk).update(trial_until=None)
        delivery.refresh_from_db()
        return delivery
    error, status_code = _delivery_attempt(delivery)
    now = timezone.now()
    fields: dict[str, Any] = {"sending_until": None, "last_status_code": status_code, "last_error": error}
    opened = parked = False
    if not error:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif circuit:
        opened, parked = _circuit_failure(agency_id=agency.pk, trial=trial, now=now)
    if parked:
        fields.update(parked_at=now)
    elif error and final_attempt:
        fields.update(status=DeliveryStatus.FAILED)
    # Never downgrade a row another attempt delivered meanwhile.
    WebhookDelivery.objects.filter(pk=delivery.pk).exclude(status=DeliveryStatus.DELIVERED).update(**fields)
    delivery.refresh_from_db()
    if not error and circuit:
        _circuit_success(agency_id=agency.pk)
    if opened:
        logger.warning("webhook circuit of %s opened: %s", agency.code, error)
        _circuit_trial_schedule(agency=agency)
    if error and not final_attempt and not parked:
        raise DeliveryError(error)
    if error and not parked:
        logger.warning("webhook delivery %s to %s failed for good: %s", delivery.pk, agency.code, error)
    return delivery


def _delivery_attempt(delivery: WebhookDelivery) -> tuple[str, int | None]:
    """One POST of the delivery: (why it failed or "", the status code answered)."""
    import requests

    agency = delivery.agency
    if not agency.webhook_url:
        return "the agency has no webhook endpoint", None
    if not agency.webhook_secret:
        return "the agency has no webhook secret: deliveries are not sent unsigned", None
    body, headers = signed_request(delivery)
    timeout = (settings.SW_WEBHOOK_CONNECT_TIMEOUT, settings.SW_WEBHOOK_READ_TIMEOUT)
    try:
        answer = egress.webhook_post(agency.webhook_url, data=body, headers=headers, timeout=timeout)
    except egress.UnsafeDestination as exc:
        return f"refused: {exc}"[:1000], None
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"[:1000], None
    if 300 <= answer.status_code < 400:
        redirect = f"HTTP {answer.status_code}: redirects are not followed; give the final URL"
        return redirect, answer.status_code
    if not 200 <= answer.status_code < 300:
        return f"HTTP {answer.status_code}: {answer.excerpt}", answer.status_code
    return "", answer.status_code


# The circuit breaker of an agency's deliveries -------------------------------------------------

_CLOSED, _PARK, _TRIAL = "closed", "park", "trial"


def _cooloff() -> timedelta:
    return timedelta(seconds=settings.SW_WEBHOOK_CIRCUIT_COOLOFF_SECONDS)


def _circuit_gate(*, agency_id: int) -> str:
    """Whether a delivery of the agency goes (closed), waits (park) or goes as the one trial."""
    opened_at = (
        DeliveryCircuit.objects.filter(agency_id=agency_id).values_list("opened_at", flat=True).first()
    )
    if opened_at is None:
        return _CLOSED
    now = timezone.now()
    if now < opened_at + _cooloff():
        return _PARK
    # Half-open: the first to take the trial's lease goes; every other delivery waits for its outcome.
    claimed = (
        DeliveryCircuit.objects.filter(agency_id=agency_id, opened_at__lte=now - _cooloff())
        .filter(Q(trial_until__isnull=True) | Q(trial_until__lt=now))
        .update(trial_until=now + DELIVERY_LEASE)
    )
    return _TRIAL if claimed == 1 else _PARK


def _delivery_park(*, delivery_id: int) -> bool:
    """Park a pending delivery while its agency's circuit is open; False if it closed meanwhile."""
    return (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, agency__circuit__opened_at__isnull=False
        ).update(parked_at=timezone.now())
        == 1
    )


def _circuit_failure(*, agency_id: int, trial: bool, now: datetime) -> tuple[bool, bool]:
    """Count a failed attempt: (did this failure open the circuit, is it open now)."""
    DeliveryCircuit.objects.get_or_create(agency_id=agency_id)
    DeliveryCircuit.objects.filter(agency_id=agency_id).update(failures=F("failures") + 1)
    if trial:
        # The trial failed: open again for another cool-off.
        DeliveryCircuit.objects.filter(agency_id=agency_id).update(opened_at=now, trial_until=None)
        return True, True
    opened = (
        DeliveryCircuit.objects.filter(
            agency_id=agency_id,
            opened_at__isnull=True,
            failures__gte=settings.SW_WEBHOOK_CIRCUIT_FAILURES,
        ).update(opened_at=now, trial_until=None)
        == 1
    )
    is_open = DeliveryCircuit.objects.filter(agency_id=agency_id, opened_at__isnull=False).exists()
    return opened, is_open


def _circuit_success(*, agency_id: int) -> None:
    """A delivery arrived: the count starts again; an open circuit closes and its parked rows go."""
    was_open = DeliveryCircuit.objects.filter(agency_id=agency_id, opened_at__isnull=False).exists()
    DeliveryCircuit.objects.filter(agency_id=agency_id).filter(
        Q(failures__gt=0) | Q(opened_at__isnull=False)
    ).update(failures=0, opened_at=None, trial_until=None)
    if was_open:
        deliveries_unpark(agency_id=agency_id)


def _circuit_trial_schedule(*, agency: Agency) -> None:
    """The trial task, due when the cool-off ends (the delivery sweep does it if this is lost)."""
    from .tasks import circuit_trial_enqueue

    try:
        circuit_trial_enqueue(agency.pk, agency.queue_name, countdown=_cooloff().total_seconds())
    except Exception:  # the broker is away: the delivery sweep schedules the trial
        logger.warning("could not schedule the circuit trial of %s", agency.code, exc_info=True)


def circuit_trial_candidate(*, agency_id: int) -> int | None:
    """The parked delivery to try when the agency's circuit half-opens (its oldest), if it does."""
    now = timezone.now()
    due = (
        DeliveryCircuit.objects.filter(agency_id=agency_id, opened_at__lte=now - _cooloff())
        .filter(Q(trial_until__isnull=True) | Q(trial_until__lt=now))
        .exists()
    )
    if not due:
        return None
    return (
        WebhookDelivery.objects.filter(
            agency_id=agency_id, status=DeliveryStatus.PENDING, parked_at__isnull=False
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def circuits_due(*, limit: int = 500) -> list[tuple[int, str]]:
    """Agencies whose circuit may half-open now, with parked deliveries: (agency id, queue)."""
    now = timezone.now()
    rows = (
        DeliveryCircuit.objects.filter(opened_at__lte=now - _cooloff(), agency__is_active=True)
        .filter(Q(trial_until__isnull=True) | Q(trial_until__lt=now))
        .filter(
            Exists(
                WebhookDelivery.objects.filter(
                    agency_id=OuterRef("agency_id"), status=DeliveryStatus.PENDING, parked_at__isnull=False
                )
            )
        )
        .values_list("agency_id", "agency__code")[:limit]
    )
    return [(agency_id, agency_queue(code)) for agency_id, code in rows]


@transaction.atomic(durable=True)
def deliveries_unpark(*, agency_id: int) -> int:
    """Release the agency's parked deliveries, if its circuit is closed: each back on its queue.

    Side effects: ``parked_at`` cleared and ``requeued_at`` stamped on each, an outbox row each
    (the delivery task on the agency's queue after commit). Rows another transaction is releasing
    are skipped. Returns how many were released.
    """
    if DeliveryCircuit.objects.filter(agency_id=agency_id, opened_at__isnull=False).exists():
        return 0
    return _parked_release(agency=Agency.objects.get(pk=agency_id))


def _parked_release(*, agency: Agency) -> int:
    """In the caller's transaction: the agency's parked deliveries unparked and published."""
    rows = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(agency=agency, status=DeliveryStatus.PENDING, parked_at__isnull=False)
        .values_list("pk", flat=True)
    )
    WebhookDelivery.objects.filter(pk__in=rows).update(parked_at=None, requeued_at=timezone.now())
    for pk in rows:
        outbox_put(topic=TOPIC_DELIVERY_SEND, object_id=pk, payload={"queue": agency.queue_name})
    return len(rows)


def agencies_parked_behind_closed_circuits() -> list[int]:
    """Agencies with parked deliveries although their circuit is closed (a release was missed)."""
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, parked_at__isnull=False, agency__is_active=True
        )
        .exclude(agency__circuit__opened_at__isnull=False)
        .values_list("agency_id", flat=True)
        .distinct()
        .order_by("agency_id")
    )


@transaction.atomic(durable=True)
def circuit_close(*, agency: Agency, actor: User) -> int:
    """An administrator closes the agency's circuit ("retry now"): parked deliveries go at once.

    Side effects: the circuit reset (no failures, closed), an audit event, the parked deliveries
    released through the outbox. Returns how many were released.
    """
    circuit = DeliveryCircuit.objects.select_for_update().filter(agency=agency).first()
    before = circuit.state if circuit is not None else CircuitState.CLOSED
    DeliveryCircuit.objects.filter(agency=agency).update(failures=0, opened_at=None, trial_until=None)
    audit_log(
        action="agencies.agency.circuit_closed",
        obj=agency,
        actor=actor,
        data={"from": str(before), "failures": circuit.failures if circuit is not None else 0},
    )
    return _parked_release(agency=agency)


@transaction.atomic(durable=True)
def deliveries_stuck(*, older_than: timedelta, limit: int = 500) -> list[tuple[int, str]]:
    """Take the pending deliveries nothing has happened to for longer than ``older_than``.

    Returns (id, queue) oldest first, for the caller to enqueue, and stamps them ``requeued_at``
    so that the next sweeps wait as long again before re-enqueuing the same row (a message still
    waiting behind a slow agency's backlog is not multiplied). Their task was lost (published,
    then Redis restarted without persistence, say). ``older_than`` must exceed the longest retry
    countdown and the broker's visibility timeout, or a delivery waiting for its retry would be
    sent twice. Inactive agencies are left out: no worker consumes their queues. Parked deliveries
    (their agency's circuit is open) are left out: the circuit's trial and release re-drive them.
    """
    now = timezone.now()
    last_touched = Greatest(
        "created_at", Coalesce("last_attempt_at", "created_at"), Coalesce("requeued_at", "created_at")
    )
    rows = list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, agency__is_active=True, parked_at__isnull=True
        )
        .alias(last_touched=last_touched)
        .filter(last_touched__lt=now - older_than)
        .order_by("created_at")
        .values_list("pk", "agency__code")[:limit]
    )
    WebhookDelivery.objects.filter(pk__in=[pk for pk, _code in rows]).update(requeued_at=now)
    return [(pk, agency_queue(code)) for pk, code in rows]


@transaction.atomic(durable=True)
def delivery_replay(*, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """An administrator sends a failed (or stuck) delivery again: back to pending, re-enqueued.

    Side effects: the row reset to ``pending`` (attempts kept), an audit event, an outbox row that
    publishes the delivery task on the agency's queue after commit. A delivered row is left alone.
    """
    updated = WebhookDelivery.objects.filter(
        pk=delivery.pk, status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING]
    ).update(status=DeliveryStatus.PENDING)
    delivery.refresh_from_db()
    if updated != 1:
        return delivery
    audit_log(
        action="agencies.delivery.replayed",
        obj=delivery,
        actor=actor,
        data={"agency": delivery.agency.code, "review": delivery.review_id, "attempts": delivery.attempts},
    )
    _delivery_publish(delivery)
    return delivery
