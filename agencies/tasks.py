"""Deliveries to agencies' own systems, each on its agency's Celery queue (``agency.<code>``).

Those queues are consumed by the delivery worker only (``agencies.worker``), never by the pool
that routes and consolidates. A dead or slow agency endpoint fills only its own queue, and after
``SW_WEBHOOK_CIRCUIT_FAILURES`` failures in a row its circuit opens: its deliveries are parked
instead of attempted (``services.webhook_send``) until ``circuit_trial`` lets one through.
Retries back off exponentially, capped below the broker's visibility timeout (a longer countdown
would let Redis hand the task to a second worker while the first still holds it).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from singlewindow.delivery import BACKOFF_MAX_SECONDS, MAX_RETRIES, RETRY_BACKOFF

from . import services
from .errors import DeliveryError

WEBHOOK_TASK = "agencies.tasks.webhook_deliver"
TRIAL_TASK = "agencies.tasks.circuit_trial"


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(DeliveryError,),
    max_retries=MAX_RETRIES,
    retry_backoff=RETRY_BACKOFF,
    retry_backoff_max=BACKOFF_MAX_SECONDS,
    retry_jitter=True,
)
def webhook_deliver(self: Any, delivery_id: int, queue: str = "") -> None:
    """POST one delivery; ``queue`` only routes the task (and its retries) to the agency's queue.

    In the embedded mode (tasks run in-process) there is one attempt: a failure is recorded at once
    rather than retried inside the request, and an administrator replays it.
    """
    eager = bool(self.request.is_eager)
    final = eager or self.request.retries >= MAX_RETRIES
    # In the embedded mode nothing would release a parked delivery: no circuit breaker there.
    services.webhook_send(delivery_id=delivery_id, final_attempt=final, circuit=not eager)


@shared_task(acks_late=True)
def circuit_trial(agency_id: int, queue: str = "") -> None:
    """When an agency's cool-off ends: its oldest parked delivery goes, as the circuit's one trial.

    Does nothing if the circuit closed meanwhile or another trial is running; the delivery task
    itself takes the trial's lease (``services.webhook_send``), so a second copy parks again.
    """
    delivery_id = services.circuit_trial_candidate(agency_id=agency_id)
    if delivery_id is not None:
        webhook_enqueue(delivery_id, {"queue": queue})


def circuit_trial_enqueue(agency_id: int, queue: str, *, countdown: float = 0) -> None:
    """The trial task on the agency's own queue, after ``countdown`` seconds."""
    circuit_trial.apply_async(
        kwargs={"agency_id": agency_id, "queue": queue}, queue=queue, countdown=max(countdown, 0)
    )


@shared_task(acks_late=True)
def delivery_sweep() -> int:
    """Beat runs this periodically: re-drive deliveries nothing else will.

    Re-enqueues pending deliveries whose task was lost (parked ones excepted); starts the trial of
    every agency whose circuit's cool-off has passed with deliveries parked (the scheduled trial
    was lost); releases deliveries still parked behind a circuit that is closed. Returns how many
    deliveries were re-enqueued.
    """
    from datetime import timedelta

    stuck = services.deliveries_stuck(older_than=timedelta(seconds=settings.SW_DELIVERY_STUCK_SECONDS))
    for delivery_id, queue in stuck:
        webhook_enqueue(delivery_id, {"queue": queue})
    for agency_id, queue in services.circuits_due():
        circuit_trial_enqueue(agency_id, queue)
    released = sum(
        services.deliveries_unpark(agency_id=agency_id)
        for agency_id in services.agencies_parked_behind_closed_circuits()
    )
    return len(stuck) + released


def webhook_enqueue(delivery_id: int, payload: dict[str, Any]) -> None:
    """Outbox handler for ``agencies.delivery.send``: the task on the agency's own queue."""
    queue = str(payload.get("queue") or "")
    options: dict[str, Any] = {"queue": queue} if queue else {}
    webhook_deliver.apply_async(kwargs={"delivery_id": delivery_id, "queue": queue}, **options)


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> Any:
    """Celery router (``CELERY_TASK_ROUTES``): a delivery goes to the queue named in its kwargs.

    One published without a queue (by hand, by an older caller) goes to the delivery worker's own
    queue: never to the pipeline's.
    """
    if name not in (WEBHOOK_TASK, TRIAL_TASK):
        return None
    queue = kwargs.get("queue") if isinstance(kwargs, dict) else None
    return {"queue": queue or settings.SW_DELIVERIES_QUEUE}
