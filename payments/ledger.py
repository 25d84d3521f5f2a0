"""The one writer of the ledger: ``post`` a balanced transaction, ``reverse`` one; derived balances.

A transaction is a list of ``Leg``s (an account, a debit or a credit, optionally the declaration
the money is for). ``post`` refuses it unless every amount is a positive Decimal already rounded
to its currency and the debits equal the credits in each currency; then it writes the
transaction, its entries and one audit event in the caller's transaction. Balances are sums of
entries (``trader_balance``, ``declaration_balance``), never stored.

Signs: on a trader's account a debit is money owed to the administration (a charge), a credit is
money received or credited (a payment, a lower re-assessment). A positive balance is owed by the
trader; a negative one is the trader's credit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import TraderAccount
from singlewindow.audit import audit_log
from singlewindow.errors import DomainError

from .models import Entry, LedgerAccount, LedgerAccountKind, LedgerTransaction, TransactionKind
from .money import home_currency, quantize, to_decimal

ZERO = Decimal(0)


class LedgerError(DomainError):
    """A transaction the ledger refuses (unbalanced, a float, a second reversal …)."""


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    declaration_id: int | None = None


def ledger_account(
    kind: LedgerAccountKind,
    *,
    code: str = "",
    trader_account: TraderAccount | None = None,
    currency: str = "",
) -> LedgerAccount:
    """The ledger account of that kind, code, owner and currency, opened on first use."""
    currency = (currency or home_currency()).upper()
    account, _created = LedgerAccount.objects.get_or_create(
        kind=kind, code=code, trader_account=trader_account, currency=currency
    )
    return account


def trader_ledger_account(trader_account: TraderAccount, currency: str = "") -> LedgerAccount:
    return ledger_account(LedgerAccountKind.TRADER, trader_account=trader_account, currency=currency)


def _checked(legs: Sequence[Leg]) -> None:
    if not legs:
        raise LedgerError("ledger_empty", "A transaction needs at least two entries.")
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for leg in legs:
        currency = leg.account.currency
        debit, credit = to_decimal(leg.debit), to_decimal(leg.credit)
        if debit < 0 or credit < 0 or (debit > 0) == (credit > 0):
            raise LedgerError(
                "ledger_bad_entry",
                f"Each entry is a positive debit or a positive credit: {debit} / {credit}.",
            )
        for amount in (debit, credit):
            if amount != quantize(amount, currency):
                raise LedgerError(
                    "ledger_not_rounded",
                    f"{amount} {currency} is not rounded to the currency's minor unit.",
                )
        totals[currency][0] += debit
        totals[currency][1] += credit
    for currency, (debits, credits) in totals.items():
        if debits != credits:
            raise LedgerError(
                "ledger_unbalanced", f"Debits {debits} and credits {credits} {currency} do not balance."
            )


def post(
    *,
    kind: TransactionKind,
    trader_account: TraderAccount,
    legs: Sequence[Leg],
    reference: str = "",
    memo: str = "",
    actor: Any = None,
    booked_on: date | None = None,
    due_on: date | None = None,
    reverses: LedgerTransaction | None = None,
    audit_data: dict[str, Any] | None = None,
    beyond_assessment: bool = False,
) -> LedgerTransaction:
    """Write one balanced transaction with its entries and audit event; the only ledger writer.

    Call inside the caller's transaction (a savepoint-free ``atomic`` here keeps the rows together
    when called outside one). Raises ``LedgerError`` before writing anything when the legs do not
    balance per currency, an amount is not a rounded positive Decimal, or ``reverses`` was reversed
    already (the database's unique ``reverses`` holds that too).
    """
    _checked(legs)
    with transaction.atomic(savepoint=False):
        txn = LedgerTransaction.objects.create(
            kind=kind,
            trader_account=trader_account,
            reference=reference[:40],
            memo=memo[:300],
            booked_on=booked_on or timezone.localdate(),
            due_on=due_on,
            created_by=actor if getattr(actor, "pk", None) else None,
            reverses=reverses,
            beyond_assessment=beyond_assessment,
        )
        Entry.objects.bulk_create(
            Entry(
                transaction=txn,
                account=leg.account,
                declaration_id=leg.declaration_id,
                debit=to_decimal(leg.debit),
                credit=to_decimal(leg.credit),
                currency=leg.account.currency,
            )
            for leg in legs
        )
        audit_log(
            action=f"payments.ledger.{kind}",
            obj=txn,
            actor=actor,
            data={
                "trader_account": trader_account.pk,
                "reference": txn.reference,
                "entries": [
                    {
                        "account": str(leg.account),
                        "debit": str(leg.debit),
                        "credit": str(leg.credit),
                        "declaration": leg.declaration_id,
                    }
                    for leg in legs
                ],
                **(audit_data or {}),
            },
        )
    return txn


def reverse(*, txn: LedgerTransaction, actor: Any = None, memo: str = "") -> LedgerTransaction:
    """Cancel ``txn`` by a new transaction with every entry on the other side; once only."""
    if LedgerTransaction.objects.filter(reverses=txn).exists():
        raise LedgerError("ledger_already_reversed", f"Transaction {txn.pk} was reversed already.")
    legs = [
        Leg(account=e.account, debit=e.credit, credit=e.debit, declaration_id=e.declaration_id)
        for e in txn.entries.select_related("account")
    ]
    return post(
        kind=TransactionKind.REVERSAL,
        trader_account=txn.trader_account,
        legs=legs,
        reference=txn.reference,
        memo=memo or f"Reversal of transaction {txn.pk}",
        actor=actor,
        reverses=txn,
    )


def _balance(entries: QuerySet[Entry], currency: str) -> Decimal:
    """Debits less credits of ``entries``, rounded to the currency (the columns keep 3 places)."""
    totals = entries.aggregate(debit=Coalesce(Sum("debit"), ZERO), credit=Coalesce(Sum("credit"), ZERO))
    return quantize(Decimal(totals["debit"]) - Decimal(totals["credit"]), currency)


def trader_balance(trader_account: TraderAccount, currency: str = "") -> Decimal:
    """What the trader owes (positive) or has in credit (negative), from its entries."""
    currency = (currency or home_currency()).upper()
    return _balance(
        Entry.objects.filter(
            account__kind=LedgerAccountKind.TRADER, account__trader_account=trader_account, currency=currency
        ),
        currency,
    )


def declaration_balance(declaration_id: int, currency: str = "") -> Decimal:
    """What is still owed for one declaration (charges less payments and credits on it)."""
    currency = (currency or home_currency()).upper()
    return _balance(
        Entry.objects.filter(
            account__kind=LedgerAccountKind.TRADER, declaration_id=declaration_id, currency=currency
        ),
        currency,
    )


def declaration_charged(declaration_id: int, currency: str = "") -> Decimal:
    """Everything charged for one declaration, less what adjustments credited back."""
    return declaration_totals(declaration_id, currency)[0]


def declaration_totals(declaration_id: int, currency: str = "") -> tuple[Decimal, Decimal]:
    """(charged, outstanding) for one declaration on its trader's account, in one query.

    Charged: charges and adjustments (debits less credits); outstanding: every entry.
    """
    charges = Q(transaction__kind__in=[TransactionKind.CHARGE, TransactionKind.ADJUSTMENT])
    currency = (currency or home_currency()).upper()
    totals = Entry.objects.filter(
        account__kind=LedgerAccountKind.TRADER, declaration_id=declaration_id, currency=currency
    ).aggregate(
        charged_debit=Coalesce(Sum("debit", filter=charges), ZERO),
        charged_credit=Coalesce(Sum("credit", filter=charges), ZERO),
        debit=Coalesce(Sum("debit"), ZERO),
        credit=Coalesce(Sum("credit"), ZERO),
    )
    return (
        quantize(Decimal(totals["charged_debit"]) - Decimal(totals["charged_credit"]), currency),
        quantize(Decimal(totals["debit"]) - Decimal(totals["credit"]), currency),
    )
