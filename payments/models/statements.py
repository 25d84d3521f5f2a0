"""Monthly statements of deferred-payment accounts.

A ``Statement`` lists every charge (and adjustment) secured by one deferment account in one month,
each as a ``StatementLine`` naming the declaration and the ledger transaction. It falls due on the
``SW_STATEMENT_DUE_DAY`` of the next month and is paid by one payment; an overdue statement
suspends its facility until it is paid (``payments.statements``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from declarations.models import Declaration

from .facilities import Facility
from .ledger import LedgerTransaction


class StatementStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")


class Statement(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="statements")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))  # the month's last day, inclusive
    due_on = models.DateField(_("due on"))
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=3)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=StatementStatus.choices, default=StatementStatus.OPEN
    )
    generated_at = models.DateTimeField(_("generated"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    # The payment started for it in the payment flow (its primary key), the latest one started.
    payment_id = models.BigIntegerField(_("payment"), null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "facility_id"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        constraints = [
            # Generation is idempotent: one statement per account and month, held by the database.
            models.UniqueConstraint(
                fields=["facility", "period_start"], name="payments_statement_one_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="payments_statement_period"
            ),
            models.CheckConstraint(
                condition=Q(status="paid", paid_at__isnull=False)
                | (~Q(status="paid") & Q(paid_at__isnull=True)),
                name="payments_statement_paid_at_iff_paid",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="payments_statement_due")]

    def __str__(self) -> str:
        return f"{self.facility.reference} {self.period_start:%Y-%m}"


class StatementLine(models.Model):
    """One charge or adjustment on a statement: what the trader account was debited (or credited)."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="statement_lines")
    ledger_transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="statement_lines"
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=3)  # negative: a credit
    charged_on = models.DateField(_("charged on"))
    due_on = models.DateField(_("due on"))

    class Meta:
        ordering = ["charged_on", "pk"]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        constraints = [
            # A charge is billed on one statement only, whatever runs generation twice.
            models.UniqueConstraint(
                fields=["ledger_transaction", "declaration"], name="payments_statement_line_charge_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.amount}"
