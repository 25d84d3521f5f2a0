"""The transactional outbox: record work with the change, publish it after commit.

``outbox_put`` writes a row inside the caller's transaction and schedules ``outbox_relay`` for
after commit. Handlers register per topic (``register_handler``); the relay calls each handler's
Celery task with the object id and marks the row published. If the broker is down the row stays
unpublished and ``outbox_sweep`` (run periodically by beat) publishes it later, so nothing accepted
is lost. Handlers must be idempotent: a row may be published more than once.

A relay claims each row (``claimed_until``, compare-and-set) before it publishes it, so the relay
after commit and a sweep, or two sweeps of two beats, never publish one row together. A failed
publish opens a per-process circuit for ``SW_BROKER_CIRCUIT_SECONDS``: meanwhile the relay after
commit does not try the broker at all (a request never waits on a broker that is down) and leaves
its rows to the sweep, which always tries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# A relay that died holding a claim lets go after this; the sweep takes older rows only anyway.
CLAIM_SECONDS = 30

# Monotonic time until which this process does not try the broker after commit (see above).
_circuit_open_until = 0.0


def broker_circuit_open() -> bool:
    """True while this process skips publishing after commit because the broker just failed."""
    return time.monotonic() < _circuit_open_until


def _broker_failed(exc: BaseException) -> bool:
    """Whether ``exc`` says the broker could not be reached (not a task failing in-process)."""
    from kombu.exceptions import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return isinstance(exc, OperationalError | RedisConnectionError | RedisTimeoutError | OSError)


def _circuit_trip() -> None:
    global _circuit_open_until
    _circuit_open_until = time.monotonic() + settings.SW_BROKER_CIRCUIT_SECONDS


def broker_circuit_reset() -> None:
    global _circuit_open_until
    _circuit_open_until = 0.0


# topic -> callables taking (object_id, payload) that enqueue the work (usually ``task.delay``).
_HANDLERS: dict[str, list[Callable[[int, dict[str, Any]], Any]]] = {}


def register_handler(topic: str, handler: Callable[[int, dict[str, Any]], Any]) -> None:
    _HANDLERS.setdefault(topic, [])
    if handler not in _HANDLERS[topic]:
        _HANDLERS[topic].append(handler)


def outbox_put(*, topic: str, object_id: int, payload: dict[str, Any] | None = None) -> OutboxMessage:
    """Record work for after commit; must be called inside the transaction of the change.

    The row is written already claimed by this process (``claimed_until``), which publishes it
    right after commit: no second statement to claim it, no row to read back. Should the process
    die first, the claim runs out and the sweep publishes it.
    """
    message = OutboxMessage.objects.create(
        topic=topic,
        object_id=object_id,
        payload=payload or {},
        claimed_until=timezone.now() + timedelta(seconds=CLAIM_SECONDS),
    )
    transaction.on_commit(lambda: _relay_own(message))
    return message


def _relay_own(message: OutboxMessage) -> None:
    """Publish a row this process wrote and holds the claim of (after its transaction committed)."""
    if broker_circuit_open():
        # Let go at once rather than when the claim runs out: the sweep takes it as soon as it can.
        OutboxMessage.objects.filter(pk=message.pk, published_at__isnull=True).update(claimed_until=None)
        return
    _publish(message)


def _publish(message: OutboxMessage) -> bool | None:
    """Hand a claimed row to its handlers: True when published, None when the broker failed."""
    try:
        for handler in _HANDLERS.get(message.topic, []):
            handler(message.object_id, message.payload)
    except Exception as exc:  # the broker is not the system of record: the sweep retries later
        logger.warning("outbox: could not publish %s #%s", message.topic, message.object_id, exc_info=True)
        OutboxMessage.objects.filter(pk=message.pk).update(attempts=message.attempts + 1, claimed_until=None)
        if _broker_failed(exc):
            _circuit_trip()
            return None
        return False  # a task that failed in-process (the embedded mode), not the broker
    OutboxMessage.objects.filter(pk=message.pk, published_at__isnull=True).update(
        published_at=timezone.now(), attempts=message.attempts + 1, claimed_until=None
    )
    return True


def outbox_relay(*, message_ids: list[int], sweeping: bool = False) -> int:
    """Publish the given rows; returns how many were published. Never raises on a broker failure.

    Each row is claimed first (``claimed_until``: unclaimed or the claim ran out), so two relays
    or sweeps publish it once. After commit (``sweeping`` false) nothing is tried while the
    circuit is open. The first failed publish stops the run: the broker is down, the rest would
    only wait on it as well.
    """
    if not sweeping and broker_circuit_open():
        return 0
    published = 0
    for message in OutboxMessage.objects.filter(pk__in=message_ids, published_at__isnull=True):
        now = timezone.now()
        claimed = (
            OutboxMessage.objects.filter(pk=message.pk, published_at__isnull=True)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        )
        if not claimed:
            continue  # another relay is publishing it (or just did)
        outcome = _publish(message)
        if outcome is None:
            break
        published += int(outcome)
    else:
        if sweeping and published:
            broker_circuit_reset()  # the broker is back: publish after commit again
    return published


def outbox_sweep(*, older_than: timedelta = timedelta(seconds=30), limit: int = 500) -> int:
    """Publish rows left unpublished for longer than ``older_than``; safe to run any time, twice at once."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxMessage.objects.filter(published_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return outbox_relay(message_ids=ids, sweeping=True) if ids else 0
