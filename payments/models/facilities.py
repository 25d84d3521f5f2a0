"""Guarantees and deferred-payment accounts: what lets goods go before the money arrives.

A ``Facility`` belongs to a trader account and has a limit. A declaration it covers holds a
``Security`` for its assessed amount until the charges are paid; the facility's headroom is its
limit less the securities it holds. A suspended facility (an overdue statement) secures nothing
new.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import TraderAccount
from declarations.models import Declaration


class FacilityKind(models.TextChoices):
    GUARANTEE = "guarantee", _("Guarantee")
    DEFERMENT = "deferment", _("Deferred-payment account")


class FacilityStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class SuspensionCause(models.TextChoices):
    """Why a facility is suspended: a statement overdue lifts itself when paid, an administrator's not."""

    NONE = "", _("Not suspended")
    STATEMENT_OVERDUE = "statement_overdue", _("A statement is overdue")
    ADMINISTRATOR = "administrator", _("Suspended by an administrator")


class ReleaseReason(models.TextChoices):
    """Why a security was released (``Security.released_reason``)."""

    PAID = "paid", _("The declaration's charges were paid")
    STATEMENT_PAID = "statement_paid", _("The statement listing the charges was paid")
    CANCELLED = "cancelled", _("The declaration was cancelled")
    CREDITED = "credited", _("Nothing is owed any more (credited)")
    RESIZED = "resized", _("Replaced by a security of the re-assessed amount")


class Facility(models.Model):
    trader_account = models.ForeignKey(TraderAccount, on_delete=models.PROTECT, related_name="facilities")
    kind = models.CharField(_("kind"), max_length=10, choices=FacilityKind.choices)
    reference = models.CharField(_("reference"), max_length=35, unique=True)
    limit = models.DecimalField(_("limit"), max_digits=18, decimal_places=3)
    currency = models.CharField(_("currency"), max_length=3)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=FacilityStatus.choices, default=FacilityStatus.ACTIVE
    )
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    suspension_cause = models.CharField(
        _("suspended because"), max_length=20, choices=SuspensionCause.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment facility")
        verbose_name_plural = _("payment facilities")
        constraints = [
            models.CheckConstraint(condition=Q(limit__gte=0), name="payments_facility_limit_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="payments_facility_valid_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Security(models.Model):
    """A declaration's charges held against a facility until they are paid (``released_at``)."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="securities")
    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="securities")
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=3)
    currency = models.CharField(_("currency"), max_length=3)
    created_at = models.DateTimeField(_("secured"), auto_now_add=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_reason = models.CharField(_("why released"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("security")
        verbose_name_plural = _("securities")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payments_security_amount_not_negative"),
            models.UniqueConstraint(
                fields=["declaration"],
                condition=Q(released_at__isnull=True),
                name="payments_security_one_open_per_declaration",
            ),
        ]
        # A facility's headroom sums its open securities.
        indexes = [models.Index(fields=["facility", "released_at"], name="payments_security_open")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.facility}"
