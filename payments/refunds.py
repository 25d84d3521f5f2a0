"""Money back: a cancelled, invalidated or refused declaration's charges credited, what it paid refunded.

``declaration_refund`` runs after a cancellation (topic ``declarations.declaration.cancelled``) or
a granted invalidation (``declarations.request.decided``). Under the declaration's row lock it
reads what the ledger holds for the declaration and posts only what is missing, so running it
twice, or after a crash, posts nothing more:

1. every revenue code's net charge is credited back (one adjustment: debit revenue, credit the
   trader);
2. what the trader paid for it (now a credit balance on the declaration) is refunded (debit the
   trader, credit the refunds account);
3. its open security, if any, is released.

Nothing is updated or deleted: each step is a new ledger transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from declarations.models import Declaration, Status

from .charges import declaration_charge
from .facilities import security_release
from .ledger import ZERO, LedgerError, Leg, declaration_balance, ledger_account, post, trader_ledger_account
from .models import Entry, LedgerAccountKind, LedgerTransaction, TransactionKind
from .models.facilities import ReleaseReason
from .money import home_currency, quantize


@dataclass(frozen=True)
class RefundResult:
    credited: LedgerTransaction | None
    refunded: LedgerTransaction | None
    securities_released: int


def revenue_by_code(
    declaration_id: int, currency: str = "", *, assessed_only: bool = False
) -> dict[str, Decimal]:
    """Net revenue posted for one declaration per revenue code (credits less debits); with
    ``assessed_only``, what its duties assessment posted (not a post-clearance audit's amounts)."""
    currency = (currency or home_currency()).upper()
    entries = Entry.objects.filter(
        account__kind=LedgerAccountKind.REVENUE, declaration_id=declaration_id, currency=currency
    )
    if assessed_only:
        entries = entries.filter(transaction__beyond_assessment=False)
    rows = (
        entries.values("account__code")
        .annotate(credit=Coalesce(Sum("credit"), ZERO), debit=Coalesce(Sum("debit"), ZERO))
        .order_by("account__code")
    )
    return {row["account__code"]: quantize(row["credit"] - row["debit"], currency) for row in rows}


@transaction.atomic(durable=True)
def declaration_refund(*, declaration_id: int) -> RefundResult | None:
    """Credit back a cancelled or invalidated declaration's charges and refund what was paid."""
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("trader_account")
        .filter(pk=declaration_id)
        .first()
    )
    if declaration is None or declaration.status not in (Status.CANCELLED, Status.INVALIDATED):
        return None
    return declaration_money_return(declaration=declaration)


def declaration_money_return(*, declaration: Declaration) -> RefundResult | None:
    """Credit back what the ledger holds charged for the declaration, refund what it paid, release
    its security: for goods that will not be released (cancelled, invalidated, refused).

    The caller holds the declaration's row lock in its transaction. Posts only what is missing, so
    it may run any number of times. A refused declaration that is resubmitted, or released by a
    supervisor after all, is charged again by ``pipeline.declaration_assess``.
    """
    if declaration.trader_account is None:
        return None
    reason = _("Declaration %(mrn)s %(status)s") % {
        "mrn": declaration.mrn,
        "status": declaration.get_status_display().lower(),
    }
    owed = {code: -amount for code, amount in revenue_by_code(declaration.pk).items() if amount}
    credited = declaration_charge(
        declaration=declaration,
        amounts=owed,
        kind=TransactionKind.ADJUSTMENT,
        memo=_("%(reason)s: charges credited") % {"reason": reason},
    )
    refunded = None
    balance = declaration_balance(declaration.pk)
    if balance < 0:
        refunded = post(
            kind=TransactionKind.REFUND,
            trader_account=declaration.trader_account,
            legs=[
                Leg(
                    trader_ledger_account(declaration.trader_account),
                    debit=-balance,
                    declaration_id=declaration.pk,
                ),
                Leg(ledger_account(LedgerAccountKind.REFUNDS, code="main"), credit=-balance),
            ],
            reference=declaration.mrn or "",
            memo=_("%(reason)s: payment refunded") % {"reason": reason},
            audit_data={"declaration": declaration.pk},
        )
    why = ReleaseReason.CANCELLED if declaration.status != Status.REFUSED else ReleaseReason.CREDITED
    released = security_release(declaration=declaration, reason=why)
    return RefundResult(credited=credited, refunded=refunded, securities_released=int(released is not None))


def declaration_overcharge_refund(
    *,
    declaration: Declaration,
    amounts: dict[str, Decimal],
    memo: str,
    actor: Any = None,
) -> RefundResult:
    """Give back part of what a released declaration was charged (a post-clearance audit found it
    overcharged): ``amounts`` (revenue code → positive amount) credited back, then whatever the
    declaration now holds in credit (it had been paid) refunded from the refunds account.

    The caller holds the declaration's row lock in its transaction and makes sure this runs once
    (an audit concluded once). Refuses (``LedgerError``) a credit above what the ledger holds
    charged for a code: revenue never goes below zero for a declaration.
    """
    if declaration.trader_account is None:
        raise LedgerError("refund_no_account", "The declaration has no trader account to credit.")
    held = revenue_by_code(declaration.pk)
    for code, amount in amounts.items():
        if amount <= 0:
            raise LedgerError("refund_not_positive", f"A refund is a positive amount: {amount}.")
        if amount > held.get(code, ZERO):
            raise LedgerError(
                "refund_above_charged",
                _("%(amount)s is more than the %(charged)s charged under %(code)s for this declaration.")
                % {"amount": amount, "charged": held.get(code, ZERO), "code": code},
            )
    credited = declaration_charge(
        declaration=declaration,
        amounts={code: -amount for code, amount in amounts.items()},
        kind=TransactionKind.ADJUSTMENT,
        memo=memo,
        actor=actor,
        beyond_assessment=True,
    )
    refunded = None
    balance = declaration_balance(declaration.pk)
    if balance < 0:
        refunded = post(
            kind=TransactionKind.REFUND,
            trader_account=declaration.trader_account,
            legs=[
                Leg(
                    trader_ledger_account(declaration.trader_account),
                    debit=-balance,
                    declaration_id=declaration.pk,
                ),
                Leg(ledger_account(LedgerAccountKind.REFUNDS, code="main"), credit=-balance),
            ],
            reference=declaration.mrn or "",
            memo=memo,
            actor=actor,
            audit_data={"declaration": declaration.pk},
        )
    return RefundResult(credited=credited, refunded=refunded, securities_released=0)
