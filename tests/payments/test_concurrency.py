"""Races PostgreSQL must settle: duplicate callbacks, settle against time out, two payments at once."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

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


# PostgreSQL serves 100 connections to the whole suite (and the other test worker): 40 requests
# hold one at a time, far more than it takes for the reservation of the key to be raced.
CONNECTIONS = threading.BoundedSemaphore(40)


def post_retrying(user, url: str, payload: dict, key: str):
    """What a client does: POST with the key, and again after Retry-After while told to (409)."""
    with CONNECTIONS:
        try:
            api = APIClient()
            api.force_authenticate(user)
            for _attempt in range(30):
                answer = api.post(url, payload, format="json", headers={"Idempotency-Key": key})
                if (
                    answer.status_code != 409
                    or answer.json()["errors"][0]["code"] != "idempotency_in_progress"
                ):
                    return answer
                time.sleep(0.2)
            return answer
        finally:
            connection.close()


def test_one_payment_posted_100_times_at_once_with_one_key_is_made_once_and_answered_alike(importer, charged):
    url = f"/api/v1/declarations/{charged.mrn}/payments"

    answers, failures = run_together(
        [lambda: post_retrying(importer, url, {"method": "card"}, "pay-race") for _ in range(100)]
    )

    assert failures == []
    assert len(answers) == 100
    assert {a.status_code for a in answers} == {201}
    bodies = [a.json() for a in answers]
    assert all(body == bodies[0] for body in bodies)
    assert sum(a.has_header("Idempotent-Replayed") for a in answers) == 99
    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    assert bodies[0]["id"] == payment.pk and bodies[0]["reference"] == payment.reference
    assert AuditEvent.objects.filter(action="payments.payment.initiated").count() == 1

    # Settled by duplicate confirmations: still one ledger transaction.
    for _ in range(3):
        payments.payment_settle(payment_id=payment.pk, provider_reference="ch_race", amount=D("232.40"))
    assert booked(payment) == 1


def test_the_same_key_with_another_body_is_refused_while_the_first_stands(importer, charged):
    url = f"/api/v1/declarations/{charged.mrn}/payments"
    first = post_retrying(importer, url, {"method": "bank_transfer", "amount": "100.00"}, "pay-other")
    answers, failures = run_together(
        [
            lambda n=n: post_retrying(
                importer, url, {"method": "bank_transfer", "amount": f"{n}.00"}, "pay-other"
            )
            for n in range(1, 11)
        ]
    )
    assert first.status_code == 201 and failures == []
    assert {a.status_code for a in answers} == {422}
    assert {a.json()["errors"][0]["code"] for a in answers} == {"idempotency_key_reused"}
    assert Payment.objects.get().amount == D("100.00")
