"""The audit log's hash chain: each event seals its content together with the event before it.

Every event gets the next ``seq`` and stores ``prev_hash`` (the previous event's ``hash``, or
``GENESIS`` for the first) and ``hash`` = SHA-256 over a canonical serialisation of (format version,
prev_hash, seq, time, actor, action, object, data). Editing an event breaks its own hash; removing or
inserting one breaks the ``seq`` run and the next ``prev_hash``: ``manage.py audit_verify`` names the
first broken link. Removing events at the very end leaves a shorter, valid chain: the command prints
the head (seq and hash) so operators can keep it elsewhere and compare.

Appends are serialised so two writers never continue the same head (a fork). On PostgreSQL the writer
calls ``singlewindow_audit_chain_head(key)`` (migration 0005): it takes a transaction-level advisory lock
and then reads the head with a fresh snapshot, in one statement. The lock is held until the
transaction ends, so later appends in the same transaction continue from the head kept in memory:
at most one extra statement per transaction. ``seq`` is unique: a writer that got around the lock
fails instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from .models import AuditEvent

GENESIS = "0" * 64
FORMAT_VERSION = 1
# pg_advisory_xact_lock key of the chain (advisory locks are per database): "SWAUDIT" in ASCII.
LOCK_KEY = 0x53574155444954


def _number(value: int | float) -> str:
    """One spelling per number, whatever JSON storage does to it (jsonb turns 1e20 into digits)."""
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError("audit data cannot hold NaN or infinity")
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, numbers in one normal form, text as is."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted((str(key), item) for key, item in value.items())
        return (
            "{"
            + ",".join(f"{json.dumps(key, ensure_ascii=False)}:{canonical_json(item)}" for key, item in items)
            + "}"
        )
    raise TypeError(f"audit data cannot hold {type(value).__name__}")


def event_digest(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    data: Any,
) -> str:
    """The hash of one event: SHA-256 (hex) of the canonical JSON of its sealed fields."""
    sealed = [
        FORMAT_VERSION,
        prev_hash,
        seq,
        at.astimezone(UTC).isoformat(timespec="microseconds"),
        actor_id,
        action,
        object_type,
        object_id,
        data,
    ]
    return hashlib.sha256(canonical_json(sealed).encode()).hexdigest()


def digest_of(event: AuditEvent) -> str:
    return event_digest(
        prev_hash=event.prev_hash,
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        data=event.data,
    )


# The head kept in memory for the rest of the transaction that holds the chain's lock -------------


@dataclass
class _Head:
    owner: Any  # the outermost atomic block: the transaction
    token: _Token  # on_commit callback registered with the last append
    seq: int
    hash: str


class _Token:
    """Registered with ``on_commit`` at each append: Django drops it when a savepoint that held the
    append rolls back (the rows are gone), and drops every callback when the transaction rolls back."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    def __call__(self) -> None:
        head = getattr(self.connection, "_sw_audit_head", None)
        if head is not None and head.token is self:
            self.connection._sw_audit_head = None


def _transaction_block(connection: BaseDatabaseWrapper) -> Any:
    """The outermost atomic block that is a real transaction (not one a test case wraps around)."""
    for block in connection.atomic_blocks:
        if not getattr(block, "_from_testcase", False):
            return block
    return None


def _remembered(connection: BaseDatabaseWrapper) -> _Head | None:
    head: _Head | None = getattr(connection, "_sw_audit_head", None)
    if head is None or head.owner is None or head.owner is not _transaction_block(connection):
        return None
    if not any(entry[1] is head.token for entry in connection.run_on_commit):
        return None
    return head


def _read_head(connection: BaseDatabaseWrapper, using: str) -> tuple[int, str]:
    head = _remembered(connection)
    if head is not None:
        return head.seq, head.hash
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT head_seq, head_hash FROM singlewindow_audit_chain_head(%s)", [LOCK_KEY])
            row = cursor.fetchone()
    else:
        # SQLite has one writer at a time; the unique seq refuses a stale head.
        row = AuditEvent.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def chain_append(events: Sequence[AuditEvent], *, using: str = DEFAULT_DB_ALIAS) -> list[AuditEvent]:
    """Seal ``events`` (in order) as the next links of the chain and insert them in one statement.

    Call inside the transaction that makes the change; outside one, it opens its own.
    """
    if not events:
        return []
    connection = connections[using]
    if not connection.in_atomic_block:
        with transaction.atomic(using=using):
            return chain_append(events, using=using)
    seq, prev = _read_head(connection, using)
    now = timezone.now()
    for event in events:
        seq += 1
        event.seq, event.at, event.prev_hash = seq, now, prev
        event.hash = prev = digest_of(event)
    created = AuditEvent.objects.using(using).bulk_create(events)
    owner = _transaction_block(connection)
    token = _Token(connection)
    if owner is not None:
        transaction.on_commit(token, using=using)
    connection._sw_audit_head = _Head(owner=owner, token=token, seq=seq, hash=prev)  # type: ignore[attr-defined]
    return created


# Verification -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    count: int
    head_seq: int
    head_hash: str
    broken_event: int | None = None  # id of the first event whose link is broken
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_event is None


def _events(using: str) -> Iterator[AuditEvent]:
    return (
        AuditEvent.objects.using(using)
        .order_by("seq")
        .only(
            "id", "seq", "at", "actor_id", "action", "object_type", "object_id", "data", "prev_hash", "hash"
        )
        .iterator(chunk_size=2000)
    )


def chain_verify(*, using: str = DEFAULT_DB_ALIAS) -> ChainReport:
    """Recompute the chain from the first event; stop at the first broken link and say what differs."""
    count, expected_seq, prev = 0, 1, GENESIS
    for event in _events(using):
        problem = ""
        if event.seq != expected_seq:
            problem = (
                f"has seq {event.seq} where {expected_seq} was expected: "
                f"{'an event is missing before it' if event.seq > expected_seq else 'seq out of order'}"
            )
        elif event.prev_hash != prev:
            problem = f"its prev_hash {event.prev_hash} is not the previous event's hash {prev}"
        else:
            recomputed = digest_of(event)
            if recomputed != event.hash:
                problem = (
                    f"its content (time, actor, action, object or data) no longer matches its hash: "
                    f"stored {event.hash}, recomputed {recomputed}"
                )
        if problem:
            return ChainReport(count, expected_seq - 1, prev, broken_event=event.pk, problem=problem)
        count += 1
        expected_seq += 1
        prev = event.hash
    return ChainReport(count, expected_seq - 1, prev)
