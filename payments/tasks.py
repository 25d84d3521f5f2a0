"""Payments tasks: a primary key in, one idempotent service call; the payment timeout sweep (beat)
and the test provider's asynchronous callback."""

from __future__ import annotations

import time
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.urls import reverse

from . import payments, refunds

_RETRY: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "max_retries": 5,
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


@shared_task(**_RETRY)
def declaration_refund(self: Any, declaration_id: int) -> None:
    """Credit back a cancelled or invalidated declaration's charges; refund what was paid."""
    refunds.declaration_refund(declaration_id=declaration_id)


def on_declaration_cancelled(declaration_id: int, payload: dict[str, Any]) -> None:
    declaration_refund.delay(declaration_id)


def on_request_decided(declaration_id: int, payload: dict[str, Any]) -> None:
    if payload.get("kind") == "invalidation" and payload.get("outcome") == "granted":
        declaration_refund.delay(declaration_id)


def on_payment_settled(payment_id: int, payload: dict[str, Any]) -> None:
    """Money that arrives for a declaration cancelled or invalidated meanwhile (a transfer sent
    before the cancellation, a card confirmed late) is refunded like the rest of what it paid."""
    from declarations.models import Declaration, Status

    ids = [int(pk) for pk in payload.get("declarations", [])]
    gone = Declaration.objects.filter(pk__in=ids, status__in=(Status.CANCELLED, Status.INVALIDATED))
    for declaration_id in gone.values_list("pk", flat=True):
        declaration_refund.delay(declaration_id)


@shared_task(acks_late=True)
def payment_timeout_sweep() -> int:
    """Beat runs this: card payments unconfirmed for ``SW_PAYMENT_TIMEOUT_MINUTES`` time out.

    Each is timed out under its row lock (``payment_time_out`` is idempotent), so two beats, or a
    callback arriving at the same moment, settle each payment one way only."""
    ids = payments.payments_timed_out_ids()
    for payment_id in ids:
        payments.payment_time_out(payment_id=payment_id)
    return len(ids)


class CallbackNotDelivered(Exception):
    """The portal did not take TestPay's callback (network error or a 5xx): retried."""


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(CallbackNotDelivered,),
    max_retries=5,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
)
def testpay_callback_deliver(self: Any, body: str) -> int:
    """TestPay, as a gateway would, posts its signed outcome to the portal's callback URL.

    Signed afresh at each attempt (the timestamp is the attempt's); the same body, so the same
    event id: the portal applies it once however often it arrives."""
    import requests

    from .providers.testpay import signed_headers

    url = settings.SW_TESTPAY_CALLBACK_BASE_URL.rstrip("/") + reverse(
        "payments:provider-callback", args=["testpay"]
    )
    data = body.encode()
    with requests.Session() as session:
        session.trust_env = False  # the portal's own address: no proxy from the environment
        try:
            answer = session.post(
                url,
                data=data,
                headers=signed_headers(data, timestamp=str(int(time.time()))),
                timeout=(settings.SW_WEBHOOK_CONNECT_TIMEOUT, settings.SW_WEBHOOK_READ_TIMEOUT),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            if self.request.is_eager:
                return 0  # in-process: no retry inside the trader's request; the sweep times it out
            raise CallbackNotDelivered(str(exc)) from exc
    if answer.status_code >= 500 and not self.request.is_eager:
        raise CallbackNotDelivered(f"HTTP {answer.status_code}")
    return answer.status_code
