"""The double-entry ledger: accounts, transactions and their entries.

Every movement of money is one ``LedgerTransaction`` whose ``Entry`` rows debit and credit
``LedgerAccount``s; in every transaction the debits equal the credits, per currency. A trader's
balance is derived from the entries on its ``trader`` account (debits: what it owes; credits: what
it paid), never stored. Transactions and entries are never updated or deleted: a correction is a
new transaction (a reversal, ``reverses``). On PostgreSQL the database holds both rules (migration
``payments.0001``: a deferred constraint trigger checks the balance at commit; triggers refuse
UPDATE and DELETE); ``payments.ledger.post`` is the only writer and checks them everywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import TraderAccount
from declarations.models import Declaration


class LedgerAccountKind(models.TextChoices):
    TRADER = "trader", _("Trader account")  # receivable: debit = owed by the trader, credit = paid
    REVENUE = "revenue", _("Revenue")  # one per tax type or fee (code)
    BANK = "bank", _("Bank")  # money received by transfer or at the cashier's desk
    PROVIDER = "provider", _("Card payments in transit")  # one per payment provider (code)
    REFUNDS = "refunds", _("Refunds paid")  # money paid back to traders


class LedgerAccount(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=LedgerAccountKind.choices)
    code = models.CharField(_("code"), max_length=30, blank=True)
    trader_account = models.ForeignKey(
        TraderAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        verbose_name = _("ledger account")
        constraints = [
            # One account per owner, kind, code and currency; the administration's own accounts have no
            # owner (two constraints: SQLite cannot treat NULLs as equal in one).
            models.UniqueConstraint(
                fields=["kind", "code", "trader_account", "currency"],
                condition=Q(trader_account__isnull=False),
                name="payments_ledger_account_unique",
            ),
            models.UniqueConstraint(
                fields=["kind", "code", "currency"],
                condition=Q(trader_account__isnull=True),
                name="payments_ledger_account_unique_own",
            ),
            models.CheckConstraint(
                condition=Q(kind="trader", trader_account__isnull=False)
                | (~Q(kind="trader") & Q(trader_account__isnull=True)),
                name="payments_ledger_account_trader_iff_kind",
            ),
        ]

    def __str__(self) -> str:
        owner = f" {self.trader_account_id}" if self.trader_account_id else ""
        return f"{self.kind}:{self.code}{owner} ({self.currency})"


class TransactionKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")
    ADJUSTMENT = "adjustment", _("Adjustment")
    REVERSAL = "reversal", _("Reversal")


class LedgerTransaction(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=TransactionKind.choices)
    trader_account = models.ForeignKey(
        TraderAccount, on_delete=models.PROTECT, related_name="ledger_transactions"
    )
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    memo = models.CharField(_("description"), max_length=300, blank=True)
    booked_on = models.DateField(_("booked on"), db_index=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # Posted for a declaration outside its duties assessment (a post-clearance audit's additional
    # assessment or refund): a re-assessment reconciles the ledger to the assessment and leaves it.
    beyond_assessment = models.BooleanField(_("beyond the assessment"), default=False)

    class Meta:
        verbose_name = _("ledger transaction")
        indexes = [models.Index(fields=["trader_account", "booked_on"], name="payments_txn_account_day")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference or self.pk}"


class Entry(models.Model):
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    declaration = models.ForeignKey(
        Declaration, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    debit = models.DecimalField(_("debit"), max_digits=18, decimal_places=3, default=0)
    credit = models.DecimalField(_("credit"), max_digits=18, decimal_places=3, default=0)
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="payments_entry_one_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} D{self.debit} C{self.credit}"
