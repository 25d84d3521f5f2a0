"""Races PostgreSQL must settle: duplicate callbacks, settle against time out, two payments at once."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.test import Client

from payments import payments
from payments.models import (
    LedgerTransaction,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProviderEvent,
    TransactionKind,
)
from payments.payments import PaymentError, payment_start
from payments.providers import Outcome
from payments.providers.testpay import callback_body, signed_headers
from singlewindow.models import AuditEvent, OutboxMessage
from tests.concurrency import run_together

pytestmark = [pytest.mark.fullstack, pytest.mark.django_db(transaction=True)]

D = Decimal


def card_payment(importer, declaration) -> Payment:
    return payment_start(
        user=importer,
        trader_account=declaration.trader_account,
        allocations=[(declaration, None)],
        method=PaymentMethod.CARD,
    )


def booked(payment: Payment) -> int:
    return LedgerTransaction.objects.filter(kind=TransactionKind.PAYMENT, reference=payment.reference).count()


def test_fifty_concurrent_callbacks_for_one_payment_settle_it_once(importer, charged):
    payment = card_payment(importer, charged)
    # Half are one delivery repeated (the same event), half are further approvals (new events).
    same = callback_body(
        checkout_id=payment.checkout_id, outcome=Outcome.APPROVED, amount=D("232.40"), currency="GBP"
    )
    bodies = [same] * 25 + [
        callback_body(
            checkout_id=payment.checkout_id, outcome=Outcome.APPROVED, amount=D("232.40"), currency="GBP"
        )
        for _ in range(25)
    ]

    def deliver(body: bytes):
        headers = signed_headers(body, timestamp=str(int(time.time())))
        extra = {k: v for k, v in headers.items() if k != "Content-Type"}
        return Client().post(
            "/payments/providers/testpay/callback", data=body, content_type="application/json", headers=extra
        )

    answers, failures = run_together([lambda b=b: deliver(b) for b in bodies])

    assert failures == []
    assert {a.status_code for a in answers} == {200}
    outcomes = [a.json()["outcome"] for a in answers]
    assert outcomes.count("replayed") == 24 and outcomes.count("settled") == 26
    assert booked(payment) == 1
    assert ProviderEvent.objects.count() == 26
    assert AuditEvent.objects.filter(action="payments.payment.settled").count() == 1
    assert OutboxMessage.objects.filter(topic=payments.TOPIC_PAYMENT_SETTLED).count() == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SETTLED


def test_a_settle_and_a_time_out_at_once_end_one_way_and_the_money_is_booked(importer, charged):
    payment = card_payment(importer, charged)

    _results, failures = run_together(
        [
            lambda: payments.payment_settle(
                payment_id=payment.pk, provider_reference="ch_1", amount=D("232.40")
            ),
            lambda: payments.payment_time_out(payment_id=payment.pk),
        ]
    )

    assert failures == []
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SETTLED
    assert booked(payment) == 1


def test_two_payments_started_at_once_for_one_declaration_only_one_is_accepted(importer, charged):
    results, failures = run_together([lambda: card_payment(importer, charged) for _ in range(4)])

    assert len(results) == 1 and len(failures) == 3
    assert all(isinstance(f, PaymentError) and f.code == "payment_in_progress" for f in failures)
    assert Payment.objects.count() == 1
