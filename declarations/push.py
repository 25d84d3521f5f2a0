"""DMS responses pushed to trader accounts' own endpoints: signed, retried, at least once.

A trader account registers an endpoint (``TraderAccount.response_url`` and its secret: the
endpoint page of ``accounts``, or the admin). Each response about one of its declarations (as
declarant or trader) is then POSTed there as ``application/xml``, the response message exactly as
stored, with the headers of ``singlewindow.signing``:

- ``X-SingleWindow-Event``: ``dms.response``
- ``X-SingleWindow-Delivery``: the delivery id, the same on every retry: de-duplicate by it
- ``X-SingleWindow-Timestamp`` and ``X-SingleWindow-Signature`` (HMAC-SHA256 of
  ``<timestamp>.<body>`` with the account's secret; ``signature_verify`` checks it)
- ``X-SingleWindow-Response``: the response's own reference (its ``FunctionalReferenceID``)

The ``ResponseDelivery`` row is written with the response (same transaction) and published through
the outbox (topic ``declarations.response.push``) to ``declarations.tasks.response_deliver`` on
the delivery worker's queue, never the pipeline's. Attempts follow ``singlewindow.delivery``: the
row is taken for a lease first (two copies of the task post once), any 2xx acknowledges, anything
else is retried with backoff up to ``MAX_RETRIES`` times, then the row is ``failed``. The endpoint
is egress-checked when registered and again at every attempt (``singlewindow.egress``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from singlewindow.delivery import DELIVERY_LEASE, signed_post
from singlewindow.outbox import outbox_put

from .models import DeclarationResponse, ResponseDelivery, ResponseDeliveryStatus

logger = logging.getLogger(__name__)

TOPIC_RESPONSE_PUSH = "declarations.response.push"
EVENT = "dms.response"
RESPONSE_HEADER = "X-SingleWindow-Response"


class ResponseDeliveryError(Exception):
    """An attempt failed and will be retried (the task's ``autoretry_for``)."""


def deliveries_open(*, response: DeclarationResponse, account_ids: Sequence[int]) -> list[ResponseDelivery]:
    """One delivery per account of ``account_ids`` (accounts that registered an endpoint), inside
    the response's transaction, each published through the outbox after commit."""
    deliveries = [
        ResponseDelivery.objects.create(response=response, account_id=account_id)
        for account_id in account_ids
    ]
    for delivery in deliveries:
        outbox_put(topic=TOPIC_RESPONSE_PUSH, object_id=delivery.pk)
    return deliveries


def response_send(*, delivery_id: int, final_attempt: bool) -> ResponseDelivery:
    """POST one delivery to its account's endpoint, signed; record the attempt on the row.

    Idempotent: a delivered row is not sent again, and an attempt first takes the row for
    ``DELIVERY_LEASE`` (compare-and-set), so two copies of the task post once. On failure the error
    is recorded and ``ResponseDeliveryError`` raised for a retry, unless ``final_attempt``: then the
    row is ``failed``. No transaction is held during the HTTP call. The endpoint and secret are read
    at each attempt: a changed endpoint gets the retries.
    """
    delivery = ResponseDelivery.objects.select_related("response", "account").get(pk=delivery_id)
    if delivery.status == ResponseDeliveryStatus.DELIVERED:
        return delivery
    started = timezone.now()
    taken = (
        ResponseDelivery.objects.filter(pk=delivery.pk)
        .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=started))
        .exclude(status=ResponseDeliveryStatus.DELIVERED)
        .update(attempts=F("attempts") + 1, last_attempt_at=started, sending_until=started + DELIVERY_LEASE)
    )
    if taken != 1:
        delivery.refresh_from_db()
        return delivery
    account = delivery.account
    error, status_code = signed_post(
        url=account.response_url if account.is_active else "",
        secret=account.response_secret,
        body=delivery.response.body.encode(),
        content_type="application/xml",
        event=EVENT,
        delivery_id=str(delivery.pk),
        user_agent="SingleWindow-DMS/1",
        extra_headers={RESPONSE_HEADER: delivery.response.reference},
    )
    fields: dict[str, object] = {"sending_until": None, "last_status_code": status_code, "last_error": error}
    if not error:
        fields.update(status=ResponseDeliveryStatus.DELIVERED, delivered_at=timezone.now())
    elif final_attempt:
        fields.update(status=ResponseDeliveryStatus.FAILED)
    ResponseDelivery.objects.filter(pk=delivery.pk).exclude(status=ResponseDeliveryStatus.DELIVERED).update(
        **fields
    )
    delivery.refresh_from_db()
    if error and not final_attempt:
        raise ResponseDeliveryError(error)
    if error:
        logger.warning(
            "DMS response delivery %s to account %s failed for good: %s", delivery.pk, account.pk, error
        )
    return delivery


def deliveries_stuck(*, older_than: timedelta, limit: int = 500) -> list[int]:
    """Pending deliveries nothing was done to for ``older_than`` (their task was lost)."""
    cutoff = timezone.now() - older_than
    return list(
        ResponseDelivery.objects.filter(status=ResponseDeliveryStatus.PENDING, created_at__lt=cutoff)
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=cutoff))
        .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=timezone.now()))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
