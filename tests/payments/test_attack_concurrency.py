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


def test_one_callback_for_no_payment_of_ours_delivered_ten_times_at_once_is_kept_once():
    import json
    import time

    from django.test import Client

    from payments.models import ProviderEvent
    from payments.providers.testpay import signed_headers

    body = json.dumps(
        {
            "event_id": "evt_unknown",
            "checkout_id": "not-a-checkout-of-ours",
            "outcome": "approved",
            "charge_id": "ch_1",
            "amount": "1.00",
            "currency": "GBP",
        }
    ).encode()

    def deliver():
        headers = signed_headers(body, timestamp=str(int(time.time())))
        extra = {k: v for k, v in headers.items() if k != "Content-Type"}
        return Client().post(
            "/payments/providers/testpay/callback", data=body, content_type="application/json", headers=extra
        )

    results, failures = run_together([deliver for _ in range(10)])

    assert not failures and sorted({r.status_code for r in results}) == [200]
    assert sorted(r.json()["outcome"] for r in results) == ["ignored"] + ["replayed"] * 9
    assert ProviderEvent.objects.count() == 1
