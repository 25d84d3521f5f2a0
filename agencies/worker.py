"""The delivery worker consumes the agencies' delivery queues, including agencies onboarded later.

Deliveries to an agency's own system travel on its queue ``agency.<code>`` (``tasks.py``), and
never share a pool with the pipeline (routing, consolidation, notifications on the default
queue): an endpoint that hangs holds a pool slot for seconds per attempt, and would stall
everyone's declarations. So a pipeline worker (``celery -A singlewindow worker``, the default
queue) consumes no agency queue, and a separate *delivery worker*, started on the queue
``SW_DELIVERIES_QUEUE`` (``celery -A singlewindow worker -Q deliveries``), consumes all of them.

A worker's ``-Q`` list is fixed when it starts, so an agency an administrator gives a webhook
endpoint afterwards would wait for a restart. This consumer step closes that gap: the delivery
worker consumes every active agency's queue, found in the database at start and again every
``SW_AGENCY_QUEUES_REFRESH_SECONDS``. A worker started for dedicated queues only
(``-Q agency.plant-health``: one pool per agency at national scale) is left with exactly what it
was given.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery import bootsteps
from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


def agency_queue_names() -> list[str]:
    """The delivery queues of the active agencies, in code order."""
    from .models import Agency, agency_queue

    codes = Agency.objects.filter(is_active=True).order_by("code").values_list("code", flat=True)
    return [agency_queue(code) for code in codes]


def is_delivery_worker(queues: Iterable[str]) -> bool:
    """A worker consuming the deliveries queue serves every agency; any other worker, none."""
    return settings.SW_DELIVERIES_QUEUE in set(queues)


class AgencyQueues(bootsteps.StartStopStep):
    """Consumer step: add each active agency's queue to the delivery worker, now and periodically."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.first_ref: Any = None
        self.timer_ref: Any = None

    def start(self, c: Any) -> None:
        if not is_delivery_worker(queue.name for queue in c.task_consumer.queues):
            return
        # From the event loop, once the task consumer is consuming: first soon, then periodically.
        # A delivery published meanwhile waits in its queue.
        self.first_ref = c.timer.call_after(0.1, self.refresh, (c,), priority=10)
        self.timer_ref = c.timer.call_repeatedly(
            settings.SW_AGENCY_QUEUES_REFRESH_SECONDS, self.refresh, (c,), priority=10
        )

    def stop(self, c: Any) -> None:
        for ref in (self.first_ref, self.timer_ref):
            if ref is not None:
                ref.cancel()
        self.first_ref = self.timer_ref = None

    def refresh(self, c: Any) -> None:
        """Consume any active agency's queue not yet consumed (``add_task_queue`` skips the others)."""
        try:
            names = agency_queue_names()
        except DatabaseError:
            # The database is away: keep the queues we have and look again next time.
            logger.warning("could not read the agencies' queues", exc_info=True)
            return
        finally:
            # The worker's main process forks its pool: it must not hold a connection in between.
            connection.close()
        consumed = {queue.name for queue in c.task_consumer.queues}
        for name in names:
            if name not in consumed:
                c.add_task_queue(name)
