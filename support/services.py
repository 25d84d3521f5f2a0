"""Writes of the help desk: opening a service request, the thread (trader replies, staff answers and
internal notes), claiming and assigning, closing; and the satisfaction rating after release.

Each top-level service is one durable transaction: guard clauses, a compare-and-set on the request's
status, the audit event, then what leaves the process (the trader's e-mail) after commit.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import TraderAccount, User
from clearance.models import Notification, NotificationKind
from declarations.models import Declaration, Status
from singlewindow.audit import ACTION_LABELS, audit_log
from singlewindow.errors import Conflict, DomainError

from .access import accounts_for_requests, may_answer_requests, requests_visible_to
from .models import (
    Category,
    RequestStatus,
    SatisfactionRating,
    ServiceRequest,
    ServiceRequestMessage,
    service_level_due,
    validate_local_path,
)

ACTION_LABELS.update(
    {
        "support.service_request.opened": gettext_lazy("Service request opened"),
        "support.service_request.replied": gettext_lazy("Trader replied to the service request"),
        "support.service_request.answered": gettext_lazy("Help desk answered the service request"),
        "support.service_request.noted": gettext_lazy("Internal note added to the service request"),
        "support.service_request.assigned": gettext_lazy("Service request assigned"),
        "support.service_request.closed": gettext_lazy("Service request closed"),
        "support.satisfaction.rated": gettext_lazy("Satisfaction with the declaration's handling rated"),
    }
)

MAX_BODY = 5000


class SupportError(DomainError):
    """A help desk action refused (``code`` says why)."""


def _body_checked(body: str, *, pointer: str = "body") -> str:
    body = (body or "").strip()
    if not body:
        message = _("Write your message.")
        raise SupportError(
            "body_required",
            message,
            errors=[{"pointer": pointer, "code": "body_required", "message": message}],
        )
    if len(body) > MAX_BODY:
        message = _("Write at most %(max)d characters.") % {"max": MAX_BODY}
        raise SupportError(
            "body_too_long",
            message,
            errors=[{"pointer": pointer, "code": "body_too_long", "message": message}],
        )
    return body


def _staff_checked(user: User) -> None:
    if not may_answer_requests(user):
        raise SupportError("help_desk_only", _("Only the help desk may do this."), status=403)


def _account_of_declaration_checked(
    *, user: User, trader_account: TraderAccount | None, declaration: Declaration
) -> None:
    """A request about a declaration is filed under one of the declaration's accounts (its trader
    or declarant): under another account (a broker's other client) that account's members would
    read about a declaration that is not theirs; under none, a broker would keep reading it after
    its representation ended. Only a user who acts for neither side (the administration's own
    staff) files it under no account."""
    sides = [pk for pk in (declaration.trader_account_id, declaration.declarant_account_id) if pk]
    if trader_account is not None:
        if trader_account.pk in sides:
            return
    elif not accounts_for_requests(user).filter(pk__in=sides).exists():
        return
    message = _("Choose the account this declaration was lodged for.")
    raise SupportError(
        "account_not_of_declaration",
        message,
        errors=[{"pointer": "trader_account", "code": "account_not_of_declaration", "message": message}],
    )


@transaction.atomic(durable=True)
def service_request_open(
    *,
    user: User,
    category: str,
    subject: str,
    body: str,
    trader_account: TraderAccount | None = None,
    declaration: Declaration | None = None,
    page: str = "",
) -> ServiceRequest:
    """Open a request with its first message; due at the category's service level.

    The caller has checked that ``user`` may act for ``trader_account`` (``access.accounts_for_requests``)
    and may see ``declaration`` (``declarations.selectors.access_declaration``). Audited.
    """
    if category not in Category.values:
        message = _("Choose a category.")
        raise SupportError(
            "category_unknown",
            message,
            errors=[{"pointer": "category", "code": "category_unknown", "message": message}],
        )
    subject = (subject or "").strip()
    if not subject or len(subject) > 200:
        message = _("Give a subject of at most 200 characters.")
        raise SupportError(
            "subject_invalid",
            message,
            errors=[{"pointer": "subject", "code": "subject_invalid", "message": message}],
        )
    body = _body_checked(body)
    if declaration is not None:
        _account_of_declaration_checked(user=user, trader_account=trader_account, declaration=declaration)
    try:
        validate_local_path(page)
    except ValidationError:
        page = ""  # a page we cannot link back to safely is dropped, not refused: the request matters more
    now = timezone.now()
    request = ServiceRequest.objects.create(
        trader_account=trader_account,
        opened_by=user,
        declaration=declaration,
        page=page[:500],
        category=category,
        subject=subject,
        created_at=now,
        due_at=service_level_due(category, now),
    )
    # The reference is the row's number: unique without a counter of its own to lock.
    request.reference = ServiceRequest.make_reference(request.pk, now.year)
    request.save(update_fields=["reference"])
    ServiceRequestMessage.objects.create(request=request, author=user, body=body, created_at=now)
    audit_log(
        action="support.service_request.opened",
        obj=request,
        actor=user,
        data={
            "reference": request.reference,
            "category": category,
            "trader_account": trader_account.pk if trader_account else None,
            "declaration": declaration.mrn if declaration else None,
            "due_at": request.due_at.isoformat(),
        },
    )
    return request


def _locked(request: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.select_for_update().get(pk=request.pk)


@transaction.atomic(durable=True)
def service_request_reply(*, request: ServiceRequest, user: User, body: str) -> ServiceRequestMessage:
    """The trader writes again: the request goes back to the help desk (answered → open). Closed
    requests take no more messages. The caller checked that ``user`` may see ``request``."""
    body = _body_checked(body)
    locked = _locked(request)
    if locked.is_closed:
        raise Conflict("request_closed", _("This request is closed. Open a new one if you need more help."))
    now = timezone.now()
    message = ServiceRequestMessage.objects.create(request=locked, author=user, body=body, created_at=now)
    before = locked.status
    if locked.is_answered:
        ServiceRequest.objects.filter(pk=locked.pk).update(status=RequestStatus.OPEN)
        locked.status = RequestStatus.OPEN
    audit_log(
        action="support.service_request.replied",
        obj=locked,
        actor=user,
        data={"before": before, "after": locked.status},
    )
    request.status = locked.status
    return message


def _notify_trader(request: ServiceRequest, text: str) -> None:
    """A portal notification to whoever opened the request (while it may still see it), and an e-mail after
    commit (a mail server down must not undo the answer: the portal notification is the record)."""
    opener = request.opened_by
    # A broker whose representation of the account ended no longer reads the request: it is not
    # told the answer either (as clearance tells a revoked broker nothing).
    if not requests_visible_to(opener).filter(pk=request.pk).exists():
        return
    Notification.objects.create(
        user=opener,
        trader_account_id=request.trader_account_id,
        declaration_id=request.declaration_id,
        kind=NotificationKind.SERVICE_REQUEST,
        message=text,
    )
    if opener.email:
        subject = _("Service request %(reference)s") % {"reference": request.reference}
        mail = (subject, text, settings.DEFAULT_FROM_EMAIL, [opener.email])
        transaction.on_commit(lambda: send_mail(*mail, fail_silently=False), robust=True)


@transaction.atomic(durable=True)
def service_request_answer(*, request: ServiceRequest, staff: User, body: str) -> ServiceRequestMessage:
    """The help desk answers: a message the trader reads, the request awaits the trader, the first
    answer's time is kept (the service level is measured on it), an unassigned request becomes the
    answerer's; the trader is notified (portal now, e-mail after commit). Audited."""
    _staff_checked(staff)
    body = _body_checked(body)
    locked = _locked(request)
    if locked.is_closed:
        raise Conflict("request_closed", _("This request is closed."))
    now = timezone.now()
    message = ServiceRequestMessage.objects.create(
        request=locked, author=staff, body=body, created_at=now, from_staff=True
    )
    changes: dict[str, object] = {"status": RequestStatus.ANSWERED}
    first = locked.first_response_at is None
    if first:
        changes["first_response_at"] = now
    if locked.assigned_to_id is None:
        changes["assigned_to"] = staff
    before = locked.status
    ServiceRequest.objects.filter(pk=locked.pk).update(**changes)
    for name, value in changes.items():
        setattr(locked, name, value)
    audit_log(
        action="support.service_request.answered",
        obj=locked,
        actor=staff,
        data={
            "before": before,
            "after": RequestStatus.ANSWERED,
            "first_answer": first,
            "within_service_level": locked.answered_within_service_level if first else None,
        },
    )
    locked.opened_by = User.objects.get(pk=locked.opened_by_id)
    _notify_trader(
        locked,
        _("The help desk answered your request %(reference)s (%(subject)s):\n\n%(body)s")
        % {"reference": locked.reference, "subject": locked.subject, "body": body},
    )
    for name in ("status", "first_response_at", "assigned_to_id"):
        setattr(request, name, getattr(locked, name))
    return message


@transaction.atomic(durable=True)
def service_request_note(*, request: ServiceRequest, staff: User, body: str) -> ServiceRequestMessage:
    """An internal note: for the help desk only, never shown to the trader, not an answer."""
    _staff_checked(staff)
    body = _body_checked(body, pointer="note")
    locked = _locked(request)
    message = ServiceRequestMessage.objects.create(
        request=locked, author=staff, body=body, from_staff=True, internal=True
    )
    audit_log(action="support.service_request.noted", obj=locked, actor=staff, data={"message": message.pk})
    return message


@transaction.atomic(durable=True)
def service_request_assign(
    *, request: ServiceRequest, staff: User, assignee: User | None, claim: bool = False
) -> ServiceRequest:
    """Give the request to ``assignee`` (None: nobody). ``claim``: ``staff`` takes it only if nobody
    holds it — two staff claiming at once: the update succeeds for the first only."""
    _staff_checked(staff)
    if assignee is not None and not may_answer_requests(assignee):
        message = _("Assign it to someone at the help desk.")
        raise SupportError(
            "assignee_not_staff",
            message,
            errors=[{"pointer": "assignee", "code": "assignee_not_staff", "message": message}],
        )
    rows = ServiceRequest.objects.filter(pk=request.pk)
    if claim:
        rows = rows.filter(assigned_to__isnull=True)
    before = ServiceRequest.objects.filter(pk=request.pk).values_list("assigned_to_id", flat=True).first()
    if not rows.update(assigned_to=assignee):
        raise Conflict("already_claimed", _("Someone else took this request first."))
    audit_log(
        action="support.service_request.assigned",
        obj=request,
        actor=staff,
        data={"before": before, "after": assignee.pk if assignee else None, "claim": claim},
    )
    request.assigned_to = assignee
    return request


@transaction.atomic(durable=True)
def service_request_close(*, request: ServiceRequest, user: User) -> ServiceRequest:
    """Close the request (the trader who may see it, or the help desk); once."""
    now = timezone.now()
    before = ServiceRequest.objects.filter(pk=request.pk).values_list("status", flat=True).first()
    updated = (
        ServiceRequest.objects.filter(pk=request.pk)
        .exclude(status=RequestStatus.CLOSED)
        .update(status=RequestStatus.CLOSED, closed_at=now)
    )
    if not updated:
        raise Conflict("request_closed", _("This request is already closed."))
    audit_log(
        action="support.service_request.closed",
        obj=request,
        actor=user,
        data={"before": before, "after": RequestStatus.CLOSED, "by_staff": may_answer_requests(user)},
    )
    request.status, request.closed_at = RequestStatus.CLOSED, now
    return request


@transaction.atomic(durable=True)
def satisfaction_rate(
    *, declaration: Declaration, user: User, score: int, comment: str = ""
) -> SatisfactionRating:
    """Record the trader's one answer on how the released declaration was handled.

    The caller checked that ``user`` may rate it (``access.may_rate``). A declaration takes one
    rating: two submissions at once both pass the checks, and the unique constraint lets the first
    insert win; the second is refused with ``already_rated`` (409).
    """
    if declaration.status != Status.RELEASED:
        raise SupportError("not_released", _("A declaration can be rated once it is released."))
    if not isinstance(score, int) or not 1 <= score <= 5:
        message = _("Choose how satisfied you are, from 1 to 5.")
        raise SupportError(
            "score_invalid",
            message,
            errors=[{"pointer": "score", "code": "score_invalid", "message": message}],
        )
    comment = (comment or "").strip()
    if len(comment) > 500:
        message = _("Write at most %(max)d characters.") % {"max": 500}
        raise SupportError(
            "comment_too_long",
            message,
            errors=[{"pointer": "comment", "code": "comment_too_long", "message": message}],
        )
    try:
        with transaction.atomic():
            rating = SatisfactionRating.objects.create(
                declaration=declaration, user=user, score=score, comment=comment
            )
    except IntegrityError:
        raise Conflict("already_rated", _("This declaration has already been rated. Thank you.")) from None
    audit_log(
        action="support.satisfaction.rated",
        obj=rating,
        actor=user,
        data={"declaration": declaration.mrn, "score": score, "comment": bool(comment)},
    )
    return rating
