"""The transactional outbox: record work with the change, publish it after commit.

``outbox_put`` writes a row inside the caller's transaction and schedules ``outbox_relay`` for
after commit. Handlers register per topic (``register_handler``); the relay calls each handler's
Celery task with the object id and marks the row published. If the broker is down the row stays
unpublished and ``outbox_sweep`` (run periodically by beat) publishes it later, so nothing accepted
is lost. Handlers must be idempotent: a row may be published more than once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# topic -> callables taking (object_id, payload) that enqueue the work (usually ``task.delay``).
_HANDLERS: dict[str, list[Callable[[int, dict[str, Any]], Any]]] = {}


def register_handler(topic: str, handler: Callable[[int, dict[str, Any]], Any]) -> None:
    _HANDLERS.setdefault(topic, [])
    if handler not in _HANDLERS[topic]:
        _HANDLERS[topic].append(handler)


def outbox_put(*, topic: str, object_id: int, payload: dict[str, Any] | None = None) -> OutboxMessage:
    """Record work for after commit; must be called inside the transaction of the change."""
    message = OutboxMessage.objects.create(topic=topic, object_id=object_id, payload=payload or {})
    transaction.on_commit(lambda: outbox_relay(message_ids=[message.pk]))
    return message


def outbox_relay(*, message_ids: list[int]) -> int:
    """Publish the given rows; returns how many were published. Never raises on a broker failure."""
    published = 0
    for message in OutboxMessage.objects.filter(pk__in=message_ids, published_at__isnull=True):
        try:
            for handler in _HANDLERS.get(message.topic, []):
                handler(message.object_id, message.payload)
        except Exception:  # the broker is not the system of record: the sweep retries later
            logger.warning(
                "outbox: could not publish %s #%s", message.topic, message.object_id, exc_info=True
            )
            OutboxMessage.objects.filter(pk=message.pk).update(attempts=message.attempts + 1)
            continue
        OutboxMessage.objects.filter(pk=message.pk, published_at__isnull=True).update(
            published_at=timezone.now(), attempts=message.attempts + 1
        )
        published += 1
    return published


def outbox_sweep(*, older_than: timedelta = timedelta(seconds=30), limit: int = 500) -> int:
    """Publish rows left unpublished for longer than ``older_than``; safe to run any time."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxMessage.objects.filter(published_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return outbox_relay(message_ids=ids) if ids else 0
