"""The provider's callback: signed, replay-safe, applied once; TestPay's confirmation page."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from payments import providers
from payments.models import (
    LedgerTransaction,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProviderEvent,
    TransactionKind,
)
from payments.payments import payment_start
from payments.providers import Outcome
from payments.providers.testpay import SIGNATURE_HEADER, TIMESTAMP_HEADER, callback_body, signed_headers
from singlewindow.models import AuditEvent

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


def body_for(payment: Payment, outcome=Outcome.APPROVED, amount: str = "232.40") -> bytes:
    return callback_body(checkout_id=payment.checkout_id, outcome=outcome, amount=D(amount), currency="GBP")


def deliver(client, body: bytes, headers: dict[str, str] | None = None):
    headers = headers if headers is not None else signed_headers(body, timestamp=str(int(time.time())))
    extra = {k: v for k, v in headers.items() if k != "Content-Type"}
    return client.post(CALLBACK, data=body, content_type="application/json", headers=extra)


def payment_booked(payment: Payment) -> int:
    return LedgerTransaction.objects.filter(kind=TransactionKind.PAYMENT, reference=payment.reference).count()


def test_a_signed_approval_settles_the_payment(client, card_payment):
    answer = deliver(client, body_for(card_payment))

    assert answer.status_code == 200 and answer.json() == {"outcome": "settled"}
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.SETTLED and card_payment.provider_reference.startswith("ch_")
    assert payment_booked(card_payment) == 1


def test_a_callback_delivered_twice_settles_once(client, card_payment):
    body = body_for(card_payment)
    headers = signed_headers(body, timestamp=str(int(time.time())))

    first, replay = deliver(client, body, headers), deliver(client, body, headers)

    assert first.json() == {"outcome": "settled"} and replay.json() == {"outcome": "replayed"}
    assert payment_booked(card_payment) == 1 and ProviderEvent.objects.count() == 1


def test_a_second_approval_of_the_same_checkout_books_nothing_more(client, card_payment):
    deliver(client, body_for(card_payment))
    assert deliver(client, body_for(card_payment)).json() == {"outcome": "settled"}
    assert payment_booked(card_payment) == 1


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda body: {}, id="missing"),
        pytest.param(
            lambda body: {TIMESTAMP_HEADER: str(int(time.time())), SIGNATURE_HEADER: "sha256=" + "0" * 64},
            id="wrong",
        ),
        pytest.param(
            lambda body: signed_headers(body + b" ", timestamp=str(int(time.time()))), id="other-body"
        ),
        pytest.param(
            lambda body: signed_headers(body, timestamp=str(int(time.time()) - 3600)), id="old-replay"
        ),
    ],
)
def test_a_callback_without_a_valid_fresh_signature_is_refused_and_changes_nothing(
    client, card_payment, headers
):
    body = body_for(card_payment)

    answer = deliver(client, body, headers(body))

    assert answer.status_code == 403
    assert answer.json()["errors"][0]["code"] == "callback_signature_invalid"
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.AWAITING_CONFIRMATION
    assert not ProviderEvent.objects.exists() and payment_booked(card_payment) == 0


def test_a_callback_signed_with_another_secret_is_refused(client, card_payment, settings):
    body = body_for(card_payment)
    headers = signed_headers(body, timestamp=str(int(time.time())))
    settings.SW_TESTPAY_SECRET = "the-real-secret"
    assert deliver(client, body, headers).status_code == 403


def test_a_decline_ends_the_payment_declined(client, card_payment):
    answer = deliver(client, body_for(card_payment, Outcome.DECLINED))

    assert answer.json() == {"outcome": "declined"}
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.DECLINED and payment_booked(card_payment) == 0


def test_an_approval_for_another_amount_is_refused_and_recorded(client, card_payment):
    answer = deliver(client, body_for(card_payment, amount="1.00"))

    assert answer.json() == {"outcome": "refused"}
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.AWAITING_CONFIRMATION and payment_booked(card_payment) == 0
    assert AuditEvent.objects.filter(action="payments.payment.amount_mismatch").count() == 1
    assert ProviderEvent.objects.get().outcome == "refused"


def test_a_callback_that_is_not_one_is_refused(client, card_payment):
    body = json.dumps({"hello": "world"}).encode()
    assert deliver(client, body).status_code == 400
    assert client.get(CALLBACK).status_code == 405
    assert (
        client.post(
            "/payments/providers/nosuch/callback", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )


# --- TestPay's confirmation page ---------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch):
    """The callbacks TestPay's task would post, captured instead of sent."""
    from payments import tasks

    bodies: list[str] = []
    monkeypatch.setattr(tasks.testpay_callback_deliver, "delay", bodies.append)
    cache.clear()
    return bodies


@pytest.fixture
def pay(client, card_payment, django_capture_on_commit_callbacks):
    """Type a card number on TestPay's page (what it schedules after commit runs)."""

    def submit(number: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(card_payment.redirect_url, {"card_number": number})

    return submit


def test_the_approving_test_card_sends_a_signed_approval_and_returns_the_trader(
    client, card_payment, sent, pay
):
    page = client.get(card_payment.redirect_url)
    assert page.status_code == 200 and "232.40 GBP" in page.content.decode()

    answer = pay("4242 4242 4242 4242")

    assert answer.status_code == 302 and answer["Location"] == card_payment.return_url
    assert len(sent) == 1 and json.loads(sent[0])["outcome"] == "approved"
    assert deliver(client, sent[0].encode()).json() == {"outcome": "settled"}
    # A second submission (the back button) charges nothing more.
    pay("4242424242424242")
    assert len(sent) == 1


def test_the_declining_test_card_sends_a_decline(sent, pay):
    pay("4000 0000 0000 0002")
    assert json.loads(sent[0])["outcome"] == "declined"


def test_the_silent_test_card_sends_nothing_and_the_payment_waits_for_the_timeout(card_payment, sent, pay):
    answer = pay("4000 0000 0000 0119")
    assert answer.status_code == 302 and sent == []
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.AWAITING_CONFIRMATION


def test_an_invalid_card_number_is_an_error_on_the_page(sent, pay):
    page = pay("1234").content.decode()
    assert "There is a problem" in page and "Enter a valid card number" in page and sent == []


def test_testpays_page_does_not_exist_when_the_test_provider_is_not_allowed(client, card_payment, settings):
    settings.SW_EMBEDDED = False
    settings.SW_PAYMENT_TEST_PROVIDER = False
    assert client.get(card_payment.redirect_url).status_code == 404


# --- production safety -------------------------------------------------------------------------


def test_the_test_provider_stops_the_start_outside_the_embedded_mode_unless_switched_on(settings):
    from payments.checks import (
        test_payment_provider_refused_in_production,
        test_payment_provider_switch_is_off,
    )

    settings.SW_EMBEDDED = False
    settings.SW_PAYMENT_TEST_PROVIDER = False
    settings.SW_PAYMENT_PROVIDERS = {"card": "payments.providers.testpay.TestPay"}
    errors = test_payment_provider_refused_in_production(None)
    assert [e.id for e in errors] == ["payments.E001"]
    providers._load.cache_clear()
    with pytest.raises(ImproperlyConfigured):
        providers.provider_for_method("card")

    settings.SW_PAYMENT_TEST_PROVIDER = True
    assert test_payment_provider_refused_in_production(None) == []
    assert [w.id for w in test_payment_provider_switch_is_off(None)] == ["payments.W001"]
    providers._load.cache_clear()


def test_cancelling_at_testpay_sends_a_decline_so_the_declaration_may_be_paid_again(
    client, card_payment, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(card_payment.redirect_url, {"cancel": "1"})
    assert answer.status_code == 302 and answer["Location"] == card_payment.return_url
    assert deliver(client, sent[0].encode()).json() == {"outcome": "declined"}
    card_payment.refresh_from_db()
    assert card_payment.failure_reason == "The payer cancelled at TestPay"
