"""The ledger: balanced transactions only, never changed, balances derived from entries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Channel
from declarations.services import declaration_lodge
from payments.charges import declaration_charge
from payments.ledger import (
    LedgerError,
    Leg,
    declaration_totals,
    ledger_account,
    post,
    reverse,
    trader_balance,
    trader_ledger_account,
)
from payments.models import Entry, LedgerAccountKind, LedgerTransaction, TransactionKind
from payments.money import Money, quantize, to_decimal
from payments.status import MoneyState, money_status
from tests.declarations.payloads import import_payload
from tests.factories import TraderAccountFactory

pytestmark = pytest.mark.django_db

D = Decimal


def _accounts(trader):
    return trader_ledger_account(trader), ledger_account(LedgerAccountKind.REVENUE, code="A00")


def test_a_balanced_transaction_is_posted_and_the_balance_is_derived_from_its_entries():
    trader = TraderAccountFactory()
    owed, revenue = _accounts(trader)
    post(
        kind=TransactionKind.CHARGE,
        trader_account=trader,
        legs=[Leg(owed, debit=D("10.50")), Leg(revenue, credit=D("10.50"))],
    )
    assert trader_balance(trader) == D("10.50")
    assert LedgerTransaction.objects.count() == 1 and Entry.objects.count() == 2


@pytest.mark.parametrize(
    ("debit", "credit", "code"),
    [
        (D("10.00"), D("9.99"), "ledger_unbalanced"),
        (D("10.001"), D("10.001"), "ledger_not_rounded"),
        (D("-1.00"), D("-1.00"), "ledger_bad_entry"),
    ],
)
def test_a_transaction_that_does_not_balance_or_is_not_rounded_is_refused_before_anything_is_written(
    debit, credit, code
):
    trader = TraderAccountFactory()
    owed, revenue = _accounts(trader)
    with pytest.raises(LedgerError) as refused:
        post(
            kind=TransactionKind.CHARGE,
            trader_account=trader,
            legs=[Leg(owed, debit=debit), Leg(revenue, credit=credit)],
        )
    assert refused.value.code == code
    assert not LedgerTransaction.objects.exists()


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        to_decimal(0.1)
    trader = TraderAccountFactory()
    owed, revenue = _accounts(trader)
    with pytest.raises(TypeError):
        post(
            kind=TransactionKind.CHARGE,
            trader_account=trader,
            legs=[Leg(owed, debit=1.5), Leg(revenue, credit=1.5)],
        )  # type: ignore[arg-type]


def test_rounding_is_half_up_to_the_currencys_minor_unit():
    assert quantize(D("1.005"), "GBP") == D("1.01")
    assert quantize(D("1.0049"), "GBP") == D("1.00")
    assert quantize(D("2.5"), "JPY") == D("3")
    assert quantize(D("1.0005"), "KWD") == D("1.001")
    assert str(Money(D("1234.5"), "eur")) == "1,234.50 EUR"
    with pytest.raises(ValueError, match="cannot combine"):
        Money(D(1), "GBP") + Money(D(1), "EUR")


def test_a_reversal_swaps_every_entry_and_a_transaction_is_reversed_once_only():
    trader = TraderAccountFactory()
    owed, revenue = _accounts(trader)
    txn = post(
        kind=TransactionKind.CHARGE,
        trader_account=trader,
        legs=[Leg(owed, debit=D(5)), Leg(revenue, credit=D(5))],
    )
    reverse(txn=txn)
    assert trader_balance(trader) == 0
    with pytest.raises(LedgerError) as again:
        reverse(txn=txn)
    assert again.value.code == "ledger_already_reversed"
    assert LedgerTransaction.objects.count() == 2


def test_a_reassessment_posts_the_difference_per_revenue_code_and_the_money_status_follows(importer):
    serializer = DeclarationInputSerializer(data=import_payload())
    assert serializer.is_valid(), serializer.errors
    declaration = declaration_lodge(
        user=importer, data=serializer.to_declaration_data(), channel=Channel.API_JSON
    ).declaration
    assert money_status(declaration).state is MoneyState.NOTHING_DUE
    declaration_charge(declaration=declaration, amounts={"A00": D("27.00"), "B00": D("205.40")})
    status = money_status(declaration)
    assert status.state is MoneyState.DUE and status.outstanding == D("232.40")
    assert "232.40" in status.open_condition
    # Lower duty, higher VAT: one adjustment, net -1.00 credited to the trader.
    adjustment = declaration_charge(
        declaration=declaration,
        amounts={"A00": D("-2.00"), "B00": D("1.00")},
        kind=TransactionKind.ADJUSTMENT,
    )
    assert adjustment is not None and adjustment.entries.count() == 3
    assert declaration_totals(declaration.pk) == (D("231.40"), D("231.40"))
    assert declaration_charge(declaration=declaration, amounts={"A00": D("0.004")}) is None


@pytest.mark.fullstack
def test_the_database_refuses_an_unbalanced_transaction_at_commit_and_any_change_to_the_ledger():
    trader = TraderAccountFactory()
    owed, revenue = _accounts(trader)
    txn = post(
        kind=TransactionKind.CHARGE,
        trader_account=trader,
        legs=[Leg(owed, debit=D(3)), Leg(revenue, credit=D(3))],
    )
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        Entry.objects.create(transaction=txn, account=owed, debit=D(1), currency="GBP")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS payments_entry_balanced IMMEDIATE")
    for change in (
        lambda: Entry.objects.filter(transaction=txn).update(debit=D(4)),
        lambda: Entry.objects.filter(transaction=txn).delete(),
        lambda: LedgerTransaction.objects.filter(pk=txn.pk).update(memo="changed"),
    ):
        with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
            change()
    assert trader_balance(trader) == D(3)


amounts = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.sampled_from(["charge", "payment", "reverse"]), amounts), min_size=1, max_size=12)
)
def test_any_sequence_of_postings_keeps_every_transaction_balanced_and_the_balance_equal_to_the_entries(ops):
    """Property: whatever is posted, debits equal credits in each transaction and in the whole
    ledger, the trader's balance is charges less payments plus reversals, and nothing posted earlier
    changes."""
    with transaction.atomic():
        trader = TraderAccountFactory()
        owed, revenue = _accounts(trader)
        bank = ledger_account(LedgerAccountKind.BANK, code="main")
        expected = D(0)
        posted: list[tuple[LedgerTransaction, D]] = []
        for op, amount in ops:
            if op == "charge":
                txn = post(
                    kind=TransactionKind.CHARGE,
                    trader_account=trader,
                    legs=[Leg(owed, debit=amount), Leg(revenue, credit=amount)],
                )
                expected += amount
                posted.append((txn, amount))
            elif op == "payment":
                txn = post(
                    kind=TransactionKind.PAYMENT,
                    trader_account=trader,
                    legs=[Leg(bank, debit=amount), Leg(owed, credit=amount)],
                )
                expected -= amount
                posted.append((txn, -amount))
            elif posted:
                txn, effect = posted.pop(0)
                if (
                    not LedgerTransaction.objects.filter(reverses=txn).exists()
                    and txn.kind != TransactionKind.REVERSAL
                ):
                    reverse(txn=txn)
                    expected -= effect
        assert trader_balance(trader) == expected
        for txn in LedgerTransaction.objects.filter(trader_account=trader).prefetch_related("entries"):
            entries = list(txn.entries.all())
            assert sum(e.debit for e in entries) == sum(e.credit for e in entries) > 0
        transaction.set_rollback(True)


def test_the_administrations_own_accounts_exist_once_per_kind_code_and_currency():
    from payments.models import LedgerAccount

    first = ledger_account(LedgerAccountKind.REVENUE, code="A00")
    assert ledger_account(LedgerAccountKind.REVENUE, code="A00") == first
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.create(kind=LedgerAccountKind.REVENUE, code="A00", currency="GBP")
