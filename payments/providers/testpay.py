"""TestPay: the built-in test card provider, which behaves like a real gateway and takes no money.

- ``checkout_start`` opens a session and sends the trader to TestPay's own confirmation page
  (``/payments/testpay/<token>/``, ``payments.testpay_views``), where a card number is typed:

  ==========================  =========================================================
  4242 4242 4242 4242         approved
  4000 0000 0000 0002         declined
  4000 0000 0000 0119         never answered: no callback, the payment times out
  any other valid number      approved (as test gateways do); an invalid one is an error
  ==========================  =========================================================

- The outcome comes later, asynchronously: a Celery task (``payments.tasks.testpay_callback_deliver``)
  posts a JSON body to ``/payments/providers/testpay/callback``, signed with HMAC-SHA256 over
  ``<timestamp>.<body>`` with ``SW_TESTPAY_SECRET`` (``singlewindow.signing``: ``X-TestPay-Timestamp``,
  ``X-TestPay-Signature``). The portal refuses a bad signature or an old timestamp, and a replay of
  an event id it has seen does nothing.

It is refused outside the embedded mode unless ``SW_PAYMENT_TEST_PROVIDER`` is set (``takes_no_money``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse

from singlewindow.signing import signature_for, signature_verify

from . import Callback, CallbackInvalid, Checkout, Outcome

if TYPE_CHECKING:
    from ..models import Payment

TIMESTAMP_HEADER = "X-TestPay-Timestamp"
SIGNATURE_HEADER = "X-TestPay-Signature"

CARD_APPROVED = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_NO_ANSWER = "4000000000000119"


def card_outcome(number: str) -> Outcome | None:
    """What TestPay does with a (valid) card number: approve, decline, or None (never answer)."""
    if number == CARD_DECLINED:
        return Outcome.DECLINED
    if number == CARD_NO_ANSWER:
        return None
    return Outcome.APPROVED


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def callback_body(
    *, checkout_id: str, outcome: Outcome, amount: Decimal, currency: str, reason: str = ""
) -> bytes:
    """The JSON body TestPay posts for one outcome (a new event id and charge id each time)."""
    return json.dumps(
        {
            "event_id": f"evt_{secrets.token_hex(12)}",
            "checkout_id": checkout_id,
            "outcome": str(outcome),
            "charge_id": f"ch_{secrets.token_hex(12)}",
            "amount": str(amount),
            "currency": currency,
            "reason": reason,
        },
        sort_keys=True,
    ).encode()


def signed_headers(body: bytes, *, timestamp: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature_for(settings.SW_TESTPAY_SECRET, timestamp, body),
    }


class TestPay:
    code = "testpay"
    takes_no_money = True
    __test__ = False  # pytest: a class named Test… that is no test

    def checkout_start(self, *, payment: Payment, return_url: str) -> Checkout:
        token = secrets.token_urlsafe(24)
        return Checkout(checkout_id=token, redirect_url=reverse("payments:testpay-checkout", args=[token]))

    def callback_verify(self, *, body: bytes, headers: Mapping[str, str]) -> bool:
        secret = settings.SW_TESTPAY_SECRET
        if not secret:  # an empty key signs nothing: anyone could compute it
            return False
        return signature_verify(
            secret=secret,
            timestamp=headers.get(TIMESTAMP_HEADER, ""),
            body=body,
            signature=headers.get(SIGNATURE_HEADER, ""),
            tolerance=settings.SW_PAYMENT_CALLBACK_TOLERANCE_SECONDS,
        )

    def callback_parse(self, *, body: bytes) -> Callback:
        try:
            data: Any = json.loads(body)
        except ValueError:
            raise CallbackInvalid("the body is not JSON") from None
        if not isinstance(data, dict):
            raise CallbackInvalid("the body is not a JSON object")
        try:
            outcome = Outcome(_text(data, "outcome"))
            # TestPay writes amounts as strings: a JSON number would be read as a float
            amount = Decimal(_text(data, "amount"))
            return Callback(
                event_id=_text(data, "event_id"),
                checkout_id=_text(data, "checkout_id"),
                outcome=outcome,
                provider_reference=_text(data, "charge_id", ""),
                amount=amount,
                currency=_text(data, "currency"),
                reason=_text(data, "reason", ""),
            )
        except (KeyError, ValueError, InvalidOperation) as exc:
            raise CallbackInvalid(f"missing or invalid field: {exc}") from None


def _text(data: dict[str, Any], name: str, default: str | None = None) -> str:
    """A string field of the callback (a number, list or object where a string belongs is refused)."""
    value = data[name] if default is None else data.get(name, default)
    if not isinstance(value, str):
        raise ValueError(f"{name} is not a string")
    return value
