"""The provider callback attacked: odd headers, odd bodies and odd values are refused, never a 500."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from payments.models import Payment, PaymentMethod, PaymentStatus, ProviderEvent
from payments.payments import payment_start
from payments.providers.testpay import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers

pytestmark = pytest.mark.django_db

D = Decimal
CALLBACK = "/payments/providers/testpay/callback"


@pytest.fixture
def card_payment(importer, charged) -> Payment:
    return payment_start(
        user=importer,
        trader_account=charged.trader_account,
        allocations=[(charged, None)],
        method=PaymentMethod.CARD,
        return_url=f"/declarations/{charged.mrn}/",
    )


def raw_body(payment: Payment, **changes) -> bytes:
    data = {
        "event_id": "evt_attack_1",
        "checkout_id": payment.checkout_id,
        "outcome": "approved",
        "charge_id": "ch_attack_1",
        "amount": "232.40",
        "currency": "GBP",
        "reason": "",
        **changes,
    }
    return json.dumps(data).encode()


def deliver_signed(client, body: bytes):
    headers = signed_headers(body, timestamp=str(int(time.time())))
    extra = {k: v for k, v in headers.items() if k != "Content-Type"}
    return client.post(CALLBACK, data=body, content_type="application/json", headers=extra)


def test_a_signature_header_with_non_ascii_characters_is_refused_not_a_server_error(client, card_payment):
    body = raw_body(card_payment)
    answer = client.post(
        CALLBACK,
        data=body,
        content_type="application/json",
        headers={TIMESTAMP_HEADER: str(int(time.time())), SIGNATURE_HEADER: "sha256=\u00e9\u00e9"},
    )

    assert answer.status_code == 403
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.AWAITING_CONFIRMATION


def test_a_malformed_content_length_is_refused_not_a_server_error(client, card_payment):
    answer = client.post(CALLBACK, data=b"{}", content_type="application/json", CONTENT_LENGTH="12abc")

    assert answer.status_code in (400, 403)


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999999", 232.4, [], None])
def test_a_signed_approval_with_an_odd_amount_books_nothing_and_is_no_server_error(
    client, card_payment, amount
):
    answer = deliver_signed(client, raw_body(card_payment, amount=amount))

    assert answer.status_code in (200, 400, 409)
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.AWAITING_CONFIRMATION


@pytest.mark.parametrize(
    "changes",
    [
        {"checkout_id": "x\x00y"},
        {"event_id": "e\x00v"},
        {"reason": "bad\x00reason", "outcome": "declined"},
        {"charge_id": "c\x00h"},
        {"event_id": {"nested": 1}},
        {"outcome": ["approved"]},
        {"currency": "\x00"},
    ],
)
def test_a_signed_callback_with_odd_fields_is_no_server_error(client, card_payment, changes):
    answer = deliver_signed(client, raw_body(card_payment, **changes))

    assert answer.status_code < 500


def test_a_replayed_callback_with_a_very_long_event_id_is_a_replay(client, card_payment):
    body = raw_body(card_payment, event_id="e" * 150)

    first, again = deliver_signed(client, body), deliver_signed(client, body)

    assert first.status_code == 200 and first.json() == {"outcome": "settled"}
    assert again.status_code == 200 and again.json() == {"outcome": "replayed"}
    assert ProviderEvent.objects.count() == 1


@pytest.mark.parametrize("secret", ["", "testpay-embedded-secret"])
def test_a_trial_deployment_with_the_test_provider_must_not_sign_with_the_published_secret(settings, secret):
    from payments.checks import test_payment_provider_secret_is_not_the_published_one as check

    settings.SW_EMBEDDED = False
    settings.SW_PAYMENT_TEST_PROVIDER = True
    settings.SW_PAYMENT_PROVIDERS = {"card": "payments.providers.testpay.TestPay"}
    settings.SW_TESTPAY_SECRET = secret
    assert [e.id for e in check(None)] == ["payments.E002"]

    settings.SW_TESTPAY_SECRET = "a-long-random-value-of-this-deployment"
    assert check(None) == []
    settings.SW_EMBEDDED = True
    settings.SW_TESTPAY_SECRET = secret
    assert check(None) == []


def test_a_callback_body_over_64_kb_is_refused_unread_even_when_signed(client, card_payment):
    body = raw_body(card_payment, reason="x" * 70_000)

    answer = deliver_signed(client, body)

    assert answer.status_code == 413
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.AWAITING_CONFIRMATION and not ProviderEvent.objects.exists()


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_the_callback_takes_only_post(client, method):
    assert getattr(client, method)(CALLBACK).status_code == 405


def test_a_callback_for_a_provider_not_configured_is_a_404(client, card_payment):
    answer = client.post(
        "/payments/providers/stripe/callback", data=raw_body(card_payment), content_type="application/json"
    )
    assert answer.status_code == 404
