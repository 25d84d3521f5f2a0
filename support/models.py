"""Service requests (a trader's question to the administration, answered within a service level)
and the one-question satisfaction rating a trader gives a released declaration.

Read by ``insights`` for the scorecard: ``ServiceRequest.objects.answered_within_service_level()``
and ``SatisfactionRating`` (see ``/work/notes/support-contract.md`` and docs/architecture.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Category(models.TextChoices):
    DECLARATION = "declaration", _("Question about a declaration")
    PAYMENT = "payment", _("Payment")
    TECHNICAL = "technical", _("Technical problem")
    ACCESS = "access", _("Access or account")
    OTHER = "other", pgettext_lazy("service request category", "Other")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered, awaiting the trader")
    CLOSED = "closed", pgettext_lazy("service request status", "Closed")


# Hours from opening to the first answer by the administration, per category. Settings
# (``SW_SERVICE_REQUEST_HOURS``, e.g. ``access=4,technical=8``) override any of them.
DEFAULT_SERVICE_LEVEL_HOURS: dict[str, int] = {
    Category.DECLARATION: 24,
    Category.PAYMENT: 24,
    Category.TECHNICAL: 8,
    Category.ACCESS: 8,
    Category.OTHER: 72,
}


def service_level_hours(category: str) -> int:
    """The service level of a category in hours: the setting's value, else the default."""
    configured: dict[str, Any] = getattr(settings, "SW_SERVICE_REQUEST_HOURS", {}) or {}
    value = configured.get(str(category), DEFAULT_SERVICE_LEVEL_HOURS.get(category, 72))
    return int(value)


def service_level_due(category: str, opened_at: datetime) -> datetime:
    return opened_at + timedelta(hours=service_level_hours(category))


def validate_local_path(value: str) -> None:
    """The page a request was opened from: a path on this site, never another site's address
    (it is linked back to, so ``//evil.example`` or ``https://…`` would be an open redirect)."""
    if not value:
        return
    if (
        not value.startswith("/")
        or value.startswith("//")
        or value.startswith("/\\")
        or "\\" in value
        or any(ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        raise ValidationError(_("The page must be a path on this site."), code="page_not_local")


def safe_local_path(value: str | None) -> str:
    """``value`` when it is a local path, "" otherwise (for input from a query string)."""
    value = (value or "").strip()[:500]
    try:
        validate_local_path(value)
    except ValidationError:
        return ""
    return value


# First answered by the administration by the due time.
ANSWERED_ON_TIME = Q(first_response_at__isnull=False, first_response_at__lte=F("due_at"))
# Closed unanswered before it was due (the trader withdrew it): no answer was owed.
WITHDRAWN_IN_TIME = Q(first_response_at__isnull=True, closed_at__isnull=False, closed_at__lte=F("due_at"))


class ServiceRequestQuerySet(models.QuerySet["ServiceRequest"]):
    def answered_within_service_level(self) -> ServiceRequestQuerySet:
        """Requests the administration first answered by their due time."""
        return self.filter(ANSWERED_ON_TIME)

    def owed_an_answer(self) -> ServiceRequestQuerySet:
        """Every request but those withdrawn before they were due (what the service level counts)."""
        return self.exclude(WITHDRAWN_IN_TIME)

    def answered_late(self) -> ServiceRequestQuerySet:
        return self.filter(first_response_at__isnull=False, first_response_at__gt=F("due_at"))

    def unanswered(self) -> ServiceRequestQuerySet:
        return self.filter(first_response_at__isnull=True)

    def overdue(self, now: datetime | None = None) -> ServiceRequestQuerySet:
        """Not yet answered, not closed, and past the due time."""
        return self.filter(first_response_at__isnull=True, due_at__lt=now or timezone.now()).exclude(
            status=RequestStatus.CLOSED
        )

    def awaiting_staff(self) -> ServiceRequestQuerySet:
        return self.filter(status=RequestStatus.OPEN)


class ServiceRequest(models.Model):
    """A trader's request to the administration's help desk, opened from a page or a declaration.

    ``due_at`` is ``created_at`` plus the category's service level; ``first_response_at`` is the
    first answer the trader could read (not an internal note). Status: open (the administration
    owes an answer) → answered (awaiting the trader) ⇄ open (the trader replied) → closed.
    """

    reference = models.CharField(_("reference"), max_length=20, unique=True, null=True, blank=True)
    trader_account = models.ForeignKey(
        "accounts.TraderAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
        verbose_name=_("trader account"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="service_requests_opened",
        verbose_name=_("opened by"),
    )
    declaration = models.ForeignKey(
        "declarations.Declaration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_requests",
        verbose_name=_("declaration"),
    )
    page = models.CharField(_("page"), max_length=500, blank=True, validators=[validate_local_path])
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    subject = models.CharField(_("subject"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due"))
    first_response_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_requests_assigned",
        verbose_name=_("assigned to"),
    )

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        permissions = [("answer_servicerequest", "May answer service requests at the help desk")]
        indexes = [
            models.Index(fields=["status", "due_at"], name="service_request_queue"),
            models.Index(fields=["opened_by", "-created_at"], name="service_request_opener"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in RequestStatus]), name="service_request_status_known"
            ),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in Category]), name="service_request_category_known"
            ),
            models.CheckConstraint(
                condition=~Q(status=RequestStatus.CLOSED) | Q(closed_at__isnull=False),
                name="service_request_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"#{self.pk}"

    @staticmethod
    def make_reference(pk: int, year: int) -> str:
        return f"SR-{year}-{pk:06d}"

    @property
    def is_open(self) -> bool:
        """The administration owes an answer."""
        return self.status == RequestStatus.OPEN

    @property
    def is_answered(self) -> bool:
        return self.status == RequestStatus.ANSWERED

    @property
    def is_closed(self) -> bool:
        return self.status == RequestStatus.CLOSED

    @property
    def answered_within_service_level(self) -> bool | None:
        """True/False once first answered; None while unanswered."""
        if self.first_response_at is None:
            return None
        return self.first_response_at <= self.due_at

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.first_response_at is None and not self.is_closed and (now or timezone.now()) > self.due_at


class ServiceRequestMessage(models.Model):
    """One message of a request's thread. ``internal`` notes are the staff's own and never shown
    to the trader (pages, API, notifications)."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="messages", verbose_name=_("service request")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    body = models.TextField(_("message"), max_length=5000)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    from_staff = models.BooleanField(_("from the administration"), default=False)
    internal = models.BooleanField(_("internal note"), default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("service request message")
        verbose_name_plural = _("service request messages")
        constraints = [
            # Only staff write internal notes.
            models.CheckConstraint(
                condition=Q(internal=False) | Q(from_staff=True), name="service_request_note_from_staff"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.pk}"


class SatisfactionRating(models.Model):
    """The trader's answer to one question after release: how satisfied (1–5) with how the
    declaration was handled. One per declaration (the database refuses a second)."""

    declaration = models.OneToOneField(
        "declarations.Declaration",
        on_delete=models.CASCADE,
        related_name="satisfaction_rating",
        verbose_name=_("declaration"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("rated by")
    )
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("rated"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="satisfaction_score_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.score}"
