"""Payments: money a trader sends for one or several declarations, by card or by bank transfer.

A ``Payment`` belongs to a trader account and is allocated to declarations
(``PaymentAllocation``: how much of it pays which declaration). Its status moves only forward,
each step a compare-and-set in ``payments.payments`` with an audit event:

    initiated ─► awaiting_confirmation (card: the provider's confirmation step) ─► settled
              └► awaiting_funds (bank transfer, until a cashier confirms it)   ─► settled
    and from any open status: declined, timed_out, cancelled

A settled payment has the ledger transaction that booked it (``ledger_transaction``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import TraderAccount
from declarations.models import Declaration

from ..money import quantize
from .ledger import LedgerTransaction


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")


class PaymentStatus(models.TextChoices):
    INITIATED = "initiated", _("Started")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Being confirmed")
    AWAITING_FUNDS = "awaiting_funds", _("Awaiting the transfer")
    SETTLED = "settled", _("Paid")
    DECLINED = "declined", _("Declined")
    TIMED_OUT = "timed_out", _("Timed out")
    CANCELLED = "cancelled", _("Cancelled")


# Not paid yet and still able to be: the money it is for counts as spoken for.
OPEN_STATUSES = frozenset(
    {PaymentStatus.INITIATED, PaymentStatus.AWAITING_CONFIRMATION, PaymentStatus.AWAITING_FUNDS}
)


class Payment(models.Model):
    trader_account = models.ForeignKey(
        TraderAccount, on_delete=models.PROTECT, related_name="payments", verbose_name=_("trader account")
    )
    # What the trader quotes on a bank transfer: short, unambiguous (no 0/O, 1/I/L), unique.
    reference = models.CharField(_("payment reference"), max_length=20, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=3)
    currency = models.CharField(_("currency"), max_length=3)
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    provider = models.CharField(_("provider"), max_length=30)
    status = models.CharField(
        _("status"), max_length=30, choices=PaymentStatus.choices, default=PaymentStatus.INITIATED
    )
    # The provider's (or the bank's) own reference for the money, once it says it was taken.
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    # The provider's checkout session and where the trader confirms it (card payments).
    checkout_id = models.CharField(max_length=100, blank=True, db_index=True)
    redirect_url = models.CharField(_("confirmation page"), max_length=500, blank=True)
    return_url = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("status since"), auto_now_add=True, db_index=True)
    settled_at = models.DateTimeField(_("paid"), null=True, blank=True)
    # Who confirmed a bank transfer, and the day the bank credited it.
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    value_date = models.DateField(_("value date"), null=True, blank=True)
    ledger_transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="payment"
    )
    failure_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["trader_account", "-created_at"], name="payments_payment_account"),
            models.Index(fields=["status", "status_changed_at"], name="payments_payment_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_payment_amount_positive"),
            # Paid means booked: the status and the ledger transaction go together.
            models.CheckConstraint(
                condition=(
                    Q(status="settled", ledger_transaction__isnull=False, settled_at__isnull=False)
                    | (~Q(status="settled") & Q(ledger_transaction__isnull=True))
                ),
                name="payments_payment_settled_iff_booked",
            ),
            # One charge at the provider books one payment, never two.
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="payments_payment_provider_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def amount_shown(self) -> str:
        """The amount rounded to its currency's minor unit, thousands grouped: ``1,234.50``."""
        return f"{quantize(self.amount, self.currency):,}"


class PaymentAllocation(models.Model):
    """How much of a payment pays one declaration."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="payment_allocations")
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=3)

    class Meta:
        verbose_name = _("payment allocation")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_allocation_amount_positive"),
            models.UniqueConstraint(fields=["payment", "declaration"], name="payments_allocation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of {self.payment_id} for {self.declaration_id}"


class ProviderEvent(models.Model):
    """A provider's callback, kept once by its event id: a replayed callback finds it and does nothing."""

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=100)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, related_name="provider_events")
    outcome = models.CharField(max_length=30)
    received_at = models.DateTimeField(auto_now_add=True)
    body = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("provider callback")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payments_provider_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} ({self.outcome})"
