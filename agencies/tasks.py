"""Deliveries to agencies' own systems, each on its agency's Celery queue (``agency.<code>``).

A dead or slow agency endpoint only fills its own queue: workers for the other agencies' queues
and for the pipeline (the default queue) carry on. Retries back off exponentially, capped below
the broker's visibility timeout (a longer countdown would let Redis hand the task to a second
worker while the first still holds it).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import services
from .errors import DeliveryError

WEBHOOK_TASK = "agencies.tasks.webhook_deliver"
MAX_RETRIES = 8
BACKOFF_MAX_SECONDS = 240


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(DeliveryError,),
    max_retries=MAX_RETRIES,
    retry_backoff=2,
    retry_backoff_max=BACKOFF_MAX_SECONDS,
    retry_jitter=True,
)
def webhook_deliver(self: Any, delivery_id: int, queue: str = "") -> None:
    """POST one delivery; ``queue`` only routes the task (and its retries) to the agency's queue.

    In the embedded mode (tasks run in-process) there is one attempt: a failure is recorded at once
    rather than retried inside the request, and an administrator replays it.
    """
    final = bool(self.request.is_eager) or self.request.retries >= MAX_RETRIES
    services.webhook_send(delivery_id=delivery_id, final_attempt=final)


@shared_task(acks_late=True)
def delivery_sweep() -> int:
    """Beat runs this periodically: re-enqueue deliveries whose task was lost (still pending, untried)."""
    from datetime import timedelta

    from django.conf import settings

    stuck = services.deliveries_stuck(older_than=timedelta(seconds=settings.SW_DELIVERY_STUCK_SECONDS))
    for delivery_id, queue in stuck:
        webhook_enqueue(delivery_id, {"queue": queue})
    return len(stuck)


def webhook_enqueue(delivery_id: int, payload: dict[str, Any]) -> None:
    """Outbox handler for ``agencies.delivery.send``: the task on the agency's own queue."""
    queue = str(payload.get("queue") or "")
    options: dict[str, Any] = {"queue": queue} if queue else {}
    webhook_deliver.apply_async(kwargs={"delivery_id": delivery_id, "queue": queue}, **options)


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> Any:
    """Celery router (``CELERY_TASK_ROUTES``): a delivery goes to the queue named in its kwargs."""
    if name == WEBHOOK_TASK and isinstance(kwargs, dict) and kwargs.get("queue"):
        return {"queue": kwargs["queue"]}
    return None
