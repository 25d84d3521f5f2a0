"""Pushes of DMS responses to traders' endpoints, on the delivery worker's queue (``deliveries``).

Retries follow ``singlewindow.delivery`` (backoff with jitter, capped below the broker's visibility
timeout). In the embedded mode (tasks in-process) there is one attempt: a failure is recorded at
once rather than retried inside the request; the trader pulls what it missed
(``GET /api/v1/notifications/dms``).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from singlewindow.delivery import BACKOFF_MAX_SECONDS, MAX_RETRIES, RETRY_BACKOFF

from . import push

RESPONSE_TASK = "declarations.tasks.response_deliver"


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(push.ResponseDeliveryError,),
    max_retries=MAX_RETRIES,
    retry_backoff=RETRY_BACKOFF,
    retry_backoff_max=BACKOFF_MAX_SECONDS,
    retry_jitter=True,
)
def response_deliver(self: Any, delivery_id: int) -> None:
    eager = bool(self.request.is_eager)
    push.response_send(delivery_id=delivery_id, final_attempt=eager or self.request.retries >= MAX_RETRIES)


@shared_task(acks_late=True)
def response_delivery_sweep() -> int:
    """Beat runs this: re-enqueue pending deliveries whose task was lost."""
    from datetime import timedelta

    stuck = push.deliveries_stuck(older_than=timedelta(seconds=settings.SW_DELIVERY_STUCK_SECONDS))
    for delivery_id in stuck:
        response_enqueue(delivery_id, {})
    return len(stuck)


def response_enqueue(delivery_id: int, payload: dict[str, Any]) -> None:
    """Outbox handler for ``declarations.response.push``."""
    response_deliver.apply_async(kwargs={"delivery_id": delivery_id}, queue=settings.SW_DELIVERIES_QUEUE)


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> Any:
    """Celery router: the push and its retries go to the delivery worker, never the pipeline."""
    if name == RESPONSE_TASK:
        return {"queue": settings.SW_DELIVERIES_QUEUE}
    return None
