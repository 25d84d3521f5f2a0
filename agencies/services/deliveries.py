"""Sending one webhook delivery to an agency's own system, signed, through its circuit breaker."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from singlewindow.delivery import signed_post

from ..models import DeliveryCircuit, DeliveryStatus, WebhookDelivery
from ..webhooks import webhook_body
from .circuit import (
    PARK,
    TRIAL,
    circuit_failure,
    circuit_gate,
    circuit_success,
    circuit_trial_schedule,
    delivery_park,
)
from .common import DELIVERY_LEASE

logger = logging.getLogger(__name__)


def webhook_send(*, delivery_id: int, final_attempt: bool, circuit: bool = True) -> WebhookDelivery:
    """POST one delivery to its agency's endpoint, signed; record the attempt on the row.

    Idempotent: a delivered row is not sent again. Two copies of the task can run at once (a
    redelivery, the sweep): each attempt first takes the row for ``DELIVERY_LEASE`` with a
    compare-and-set (``sending_until`` empty or past), so only one of them posts; the other
    returns at once. On success the row is ``delivered``. On failure the error is recorded and
    ``DeliveryError`` is raised so the task retries, unless ``final_attempt``: then the row is
    ``failed`` (an administrator can replay it). No transaction is held during the HTTP call.
    Delivery is at least once (a crash after the POST sends it again): agencies de-duplicate by
    the ``X-SingleWindow-Delivery`` header.

    With ``circuit`` (the worker; not the embedded mode, which has nobody to release parked rows)
    the agency's circuit breaker applies (``DeliveryCircuit``): while it is open the delivery is
    parked instead (pending, not attempted, no attempt counted, nothing raised); once the cool-off
    has passed one delivery goes as the trial. A failure that opens the circuit (the
    ``SW_WEBHOOK_CIRCUIT_FAILURES``-th in a row, or a failed trial) parks its delivery too and
    schedules the next trial; a success closes it and releases the parked deliveries.
    """
    from ..errors import DeliveryError

    delivery = WebhookDelivery.objects.select_related("agency").get(pk=delivery_id)
    if delivery.status == DeliveryStatus.DELIVERED:
        return delivery
    agency = delivery.agency
    trial = False
    if circuit:
        gate = circuit_gate(agency_id=agency.pk)
        if gate == PARK and delivery_park(delivery_id=delivery.pk):
            delivery.refresh_from_db()
            return delivery
        trial = gate == TRIAL
    started = timezone.now()
    taken = (
        WebhookDelivery.objects.filter(pk=delivery.pk)
        .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=started))
        .exclude(status=DeliveryStatus.DELIVERED)
        .update(
            attempts=F("attempts") + 1,
            last_attempt_at=started,
            sending_until=started + DELIVERY_LEASE,
            parked_at=None,
        )
    )
    if taken != 1:
        # Another copy is sending it right now (or delivered it): that one records the outcome and
        # retries if need be. A copy that crashed mid-send holds the row only until its lease ends.
        if trial:
            DeliveryCircuit.objects.filter(agency_id=agency.pk).update(trial_until=None)
        delivery.refresh_from_db()
        return delivery
    error, status_code = _delivery_attempt(delivery)
    now = timezone.now()
    fields: dict[str, Any] = {"sending_until": None, "last_status_code": status_code, "last_error": error}
    opened = parked = False
    if not error:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif circuit:
        opened, parked = circuit_failure(agency_id=agency.pk, trial=trial, now=now)
    if parked:
        fields.update(parked_at=now)
    elif error and final_attempt:
        fields.update(status=DeliveryStatus.FAILED)
    # Never downgrade a row another attempt delivered meanwhile.
    WebhookDelivery.objects.filter(pk=delivery.pk).exclude(status=DeliveryStatus.DELIVERED).update(**fields)
    delivery.refresh_from_db()
    if not error and circuit:
        circuit_success(agency_id=agency.pk)
    if opened:
        logger.warning("webhook circuit of %s opened: %s", agency.code, error)
        circuit_trial_schedule(agency=agency)
    if error and not final_attempt and not parked:
        raise DeliveryError(error)
    if error and not parked:
        logger.warning("webhook delivery %s to %s failed for good: %s", delivery.pk, agency.code, error)
    return delivery


def _delivery_attempt(delivery: WebhookDelivery) -> tuple[str, int | None]:
    """One POST of the delivery: (why it failed or "", the status code answered).

    The POST itself is the core's (``singlewindow.delivery.signed_post``: signed, through
    ``egress``), as for traders' endpoints.
    """
    agency = delivery.agency
    if not agency.webhook_url:
        return "the agency has no webhook endpoint", None
    if not agency.webhook_secret:
        return "the agency has no webhook secret: deliveries are not sent unsigned", None
    body = webhook_body(delivery)
    return signed_post(
        url=agency.webhook_url,
        secret=agency.webhook_secret,
        body=body,
        content_type="application/json",
        event=delivery.event,
        delivery_id=str(delivery.pk),
        user_agent="SingleWindow-Webhook/1",
    )
