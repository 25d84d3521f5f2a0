"""Ledger data for the account and revenue tests, written only through the ledger's own writers
(``payments.charges.declaration_charge``, ``payments.ledger.post``), never as rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from accounts.models import TraderAccount, User
from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Channel, Declaration
from declarations.services import declaration_lodge
from payments.charges import declaration_charge
from payments.ledger import Leg, ledger_account, post, trader_ledger_account
from payments.models import LedgerAccountKind, LedgerTransaction, TransactionKind
from tests.declarations.payloads import import_payload


def lodged(user: User, lrn: str = "API-IM-0001") -> Declaration:
    """A declaration lodged by ``user`` for the importer account (the API's JSON channel)."""
    payload = import_payload()
    payload["lrn"] = lrn
    serializer = DeclarationInputSerializer(data=payload)
    assert serializer.is_valid(), serializer.errors
    return declaration_lodge(
        user=user, data=serializer.to_declaration_data(), channel=Channel.API_JSON
    ).declaration


def charge(
    declaration: Declaration,
    amounts: dict[str, str],
    *,
    due_on: date | None = None,
    memo: str = "",
    kind: TransactionKind = TransactionKind.CHARGE,
) -> LedgerTransaction:
    """The declaration's charges per revenue code, booked today (``declaration_charge``)."""
    txn = declaration_charge(
        declaration=declaration,
        amounts={code: Decimal(a) for code, a in amounts.items()},
        kind=kind,
        memo=memo,
        due_on=due_on,
    )
    assert txn is not None
    return txn


def charge_on(
    account: TraderAccount,
    amount: str,
    *,
    on: date,
    code: str = "A00",
    declaration: Declaration | None = None,
    due_on: date | None = None,
    memo: str = "",
    reference: str = "",
    kind: TransactionKind = TransactionKind.CHARGE,
) -> LedgerTransaction:
    """A charge of ``amount`` to ``account`` for revenue ``code``, booked on ``on``."""
    value = Decimal(amount)
    declaration_id = declaration.pk if declaration else None
    return post(
        kind=kind,
        trader_account=account,
        legs=[
            Leg(trader_ledger_account(account), debit=value, declaration_id=declaration_id),
            Leg(
                ledger_account(LedgerAccountKind.REVENUE, code=code),
                credit=value,
                declaration_id=declaration_id,
            ),
        ],
        booked_on=on,
        due_on=due_on,
        memo=memo,
        reference=reference or (declaration.mrn if declaration and declaration.mrn else ""),
    )


def pay_on(
    account: TraderAccount,
    amount: str,
    *,
    on: date,
    method: LedgerAccountKind = LedgerAccountKind.BANK,
    code: str = "main",
    declaration: Declaration | None = None,
    memo: str = "",
    reference: str = "",
) -> LedgerTransaction:
    """A payment of ``amount`` by ``account`` received on ``on`` (the bank by default)."""
    value = Decimal(amount)
    declaration_id = declaration.pk if declaration else None
    return post(
        kind=TransactionKind.PAYMENT,
        trader_account=account,
        legs=[
            Leg(ledger_account(method, code=code), debit=value, declaration_id=declaration_id),
            Leg(trader_ledger_account(account), credit=value, declaration_id=declaration_id),
        ],
        booked_on=on,
        memo=memo,
        reference=reference,
    )
