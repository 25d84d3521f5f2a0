"""Re-driving deliveries: the sweep of lost ones and an administrator's replay of a failed one."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.models import User
from singlewindow.audit import audit_log

from ..models import DeliveryStatus, WebhookDelivery, agency_queue
from .common import delivery_publish


@transaction.atomic(durable=True)
def deliveries_stuck(*, older_than: timedelta, limit: int = 500) -> list[tuple[int, str]]:
    """Take the pending deliveries nothing has happened to for longer than ``older_than``.

    Returns (id, queue) oldest first, for the caller to enqueue, and stamps them ``requeued_at``
    so that the next sweeps wait as long again before re-enqueuing the same row (a message still
    waiting behind a slow agency's backlog is not multiplied). Their task was lost (published,
    then Redis restarted without persistence, say). ``older_than`` must exceed the longest retry
    countdown and the broker's visibility timeout, or a delivery waiting for its retry would be
    sent twice. Inactive agencies are left out: no worker consumes their queues. Parked deliveries
    (their agency's circuit is open) are left out: the circuit's trial and release re-drive them.
    """
    now = timezone.now()
    last_touched = Greatest(
        "created_at", Coalesce("last_attempt_at", "created_at"), Coalesce("requeued_at", "created_at")
    )
    rows = list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, agency__is_active=True, parked_at__isnull=True
        )
        .alias(last_touched=last_touched)
        .filter(last_touched__lt=now - older_than)
        .order_by("created_at")
        .values_list("pk", "agency__code")[:limit]
    )
    WebhookDelivery.objects.filter(pk__in=[pk for pk, _code in rows]).update(requeued_at=now)
    return [(pk, agency_queue(code)) for pk, code in rows]


@transaction.atomic(durable=True)
def delivery_replay(*, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """An administrator sends a failed (or stuck) delivery again: back to pending, re-enqueued.

    Side effects: the row reset to ``pending`` (attempts kept), an audit event, an outbox row that
    publishes the delivery task on the agency's queue after commit. A delivered row is left alone.
    """
    updated = WebhookDelivery.objects.filter(
        pk=delivery.pk, status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING]
    ).update(status=DeliveryStatus.PENDING)
    delivery.refresh_from_db()
    if updated != 1:
        return delivery
    audit_log(
        action="agencies.delivery.replayed",
        obj=delivery,
        actor=actor,
        data={"agency": delivery.agency.code, "review": delivery.review_id, "attempts": delivery.attempts},
    )
    delivery_publish(delivery)
    return delivery
