"""Agencies' questions answered by traders, with attachments checked before they are stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus
from declarations.selectors import declarations_visible_to
from declarations.services import declaration_transition
from singlewindow.errors import DomainError, NotFound

from ..errors import AttachmentRefused, ReviewConflict
from ..models import Attachment, InformationRequest, ReviewStatus, WebhookDelivery
from ..webhooks import answer_payload
from .common import delivery_open, review_transition

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
    if not declaration.is_under_review:
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
    # The service-level clock stops while the agency waits for the trader: the review is due as much
    # later as the trader took to answer, so the queue's "due" and the overdue alert stay right.
    waited = max(now - information_request.asked_at, timedelta(0))
    review_transition(
        review_id=review.pk,
        expected={ReviewStatus.INFO_REQUESTED},
        to=ReviewStatus.IN_REVIEW,
        actor=user,
        action="agencies.review.info_answered",
        updates={"due_at": F("due_at") + waited},
        data={
            "request": information_request.pk,
            "attachments": len(stored),
            "clock_paused_seconds": int(waited.total_seconds()),
        },
    )
    if review.agency.webhook_url:
        # The agency's own system learns of the answer as it learned of the review.
        information_request.refresh_from_db()
        delivery_open(
            review=review,
            event=WebhookDelivery.EVENT_REVIEW_ANSWERED,
            information_request=information_request,
            payload=answer_payload(information_request=information_request),
        )
    still_open = InformationRequest.objects.filter(
        review__declaration_id=declaration.pk, answered_at__isnull=True
    ).exists()
    if not still_open and declaration.awaits_information:
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
