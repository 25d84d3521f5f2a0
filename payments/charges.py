"""Charging a declaration's duties, taxes and fees to its trader's ledger account.

``declaration_charge`` posts amounts per revenue code (a tax type such as ``A00`` or ``B00``, or
``FEE:<agency>``): the trader's account is debited with the net total for the declaration, each
revenue account credited. A re-assessment posts only the difference per code: an increase is a
further debit, a decrease a credit (an adjustment), never a change to what was posted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from declarations.models import Declaration

from .ledger import ZERO, Leg, ledger_account, post, trader_ledger_account
from .models import LedgerAccountKind, LedgerTransaction, TransactionKind
from .money import home_currency, quantize


def declaration_charge(
    *,
    declaration: Declaration,
    amounts: Mapping[str, Decimal],
    kind: TransactionKind = TransactionKind.CHARGE,
    memo: str = "",
    due_on: date | None = None,
    actor: Any = None,
    currency: str = "",
    beyond_assessment: bool = False,
) -> LedgerTransaction | None:
    """Post ``amounts`` (revenue code → amount, negative for a credit) for the declaration.

    Returns the transaction, or None when every amount is zero (nothing to post). Call inside the
    transaction that assessed the declaration. ``beyond_assessment``: not part of the duties
    assessment (a post-clearance audit's), so a re-assessment's reconciliation leaves it standing.
    """
    currency = (currency or home_currency()).upper()
    rounded = {code: quantize(amount, currency) for code, amount in amounts.items()}
    rounded = {code: amount for code, amount in rounded.items() if amount}
    if not rounded:
        return None
    trader = declaration.trader_account
    if trader is None:
        raise ValueError(f"declaration {declaration.pk} has no trader account to charge")
    legs = [
        Leg(
            account=ledger_account(LedgerAccountKind.REVENUE, code=code, currency=currency),
            debit=-amount if amount < 0 else ZERO,
            credit=amount if amount > 0 else ZERO,
            declaration_id=declaration.pk,
        )
        for code, amount in sorted(rounded.items())
    ]
    net = sum(rounded.values(), ZERO)
    if net:
        legs.insert(
            0,
            Leg(
                account=trader_ledger_account(trader, currency),
                debit=net if net > 0 else ZERO,
                credit=-net if net < 0 else ZERO,
                declaration_id=declaration.pk,
            ),
        )
    return post(
        kind=kind,
        trader_account=trader,
        legs=legs,
        reference=declaration.mrn or "",
        memo=memo,
        actor=actor,
        due_on=due_on,
        audit_data={"declaration": declaration.pk},
        beyond_assessment=beyond_assessment,
    )
