"""Races the other concurrency tests leave out, on PostgreSQL: two cashiers, one bank reference;
a cashier confirming while the trader cancels; a statement and its declaration paid at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.models import LedgerTransaction, Payment, PaymentMethod, PaymentStatus, TransactionKind
from payments.payments import PaymentError, payment_cancel, payment_settle, payment_start
from tests.concurrency import run_together
from tests.factories import UserFactory

pytestmark = [pytest.mark.fullstack, pytest.mark.django_db(transaction=True)]

D = Decimal


def transfer(user, declaration) -> Payment:
    return payment_start(
        user=user,
        trader_account=declaration.trader_account,
        allocations=[(declaration, None)],
        method=PaymentMethod.BANK_TRANSFER,
    )


def test_two_transfers_confirmed_at_once_with_one_bank_reference_book_one(importer, lodge):
    first, second = transfer(importer, lodge("RACE-1")), transfer(importer, lodge("RACE-2"))
    cashier = UserFactory(username="cashier-race", role="cashier")

    def confirm(payment: Payment):
        return lambda: payment_settle(
            payment_id=payment.pk, provider_reference="BANK-SAME", amount=D("232.40"), actor=cashier
        )

    results, failures = run_together([confirm(first), confirm(second)])

    assert len(results) == 1 and len(failures) == 1
    assert isinstance(failures[0], PaymentError) and failures[0].code == "payment_reference_used"
    assert Payment.objects.filter(status=PaymentStatus.SETTLED).count() == 1
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYMENT).count() == 1


def test_a_confirmation_and_a_cancellation_at_once_end_one_way_and_the_money_is_booked(importer, charged):
    payment = transfer(importer, charged)
    cashier = UserFactory(username="cashier-race2", role="cashier")

    results, failures = run_together(
        [
            lambda: payment_settle(
                payment_id=payment.pk, provider_reference="BANK-1", amount=D("232.40"), actor=cashier
            ),
            lambda: payment_cancel(payment_id=payment.pk, user=importer),
        ]
    )

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED  # money that arrived is booked whatever came first
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYMENT).count() == 1
    assert all(isinstance(f, PaymentError) and f.code == "payment_not_open" for f in failures)
