"""The outbox relay: a broker that is down costs a request nothing, and no row is published twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from singlewindow import outbox
from singlewindow.models import OutboxMessage
from tests.concurrency import run_together

TOPIC = "tests.outbox"


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """What the test topic's handler was called with; the circuit starts closed and ends closed."""
    calls: list[int] = []
    monkeypatch.setitem(outbox._HANDLERS, TOPIC, [lambda object_id, payload: calls.append(object_id)])
    outbox.broker_circuit_reset()
    yield calls
    outbox.broker_circuit_reset()


def row(object_id: int, *, age: timedelta = timedelta(0)) -> OutboxMessage:
    message = OutboxMessage.objects.create(topic=TOPIC, object_id=object_id)
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - age)
    return message


@pytest.mark.django_db
def test_after_the_broker_fails_the_relay_after_commit_leaves_rows_to_the_sweep(
    published: list[int], monkeypatch: pytest.MonkeyPatch, settings: Any
):
    settings.SW_BROKER_CIRCUIT_SECONDS = 60
    attempts: list[int] = []

    def broker_down(object_id: int, payload: dict[str, Any]) -> None:
        attempts.append(object_id)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setitem(outbox._HANDLERS, TOPIC, [broker_down])
    first, second, third = row(1), row(2), row(3)
    assert outbox.outbox_relay(message_ids=[first.pk, second.pk]) == 0
    assert attempts == [1]  # the first failure stops the run: the second is not tried
    assert outbox.broker_circuit_open()
    assert outbox.outbox_relay(message_ids=[third.pk]) == 0
    assert attempts == [1]  # open circuit: not even tried
    assert OutboxMessage.objects.filter(published_at__isnull=True, claimed_until__isnull=True).count() == 3

    monkeypatch.setitem(outbox._HANDLERS, TOPIC, [lambda object_id, payload: published.append(object_id)])
    assert outbox.outbox_sweep(older_than=timedelta(0)) == 3  # the sweep always tries
    assert sorted(published) == [1, 2, 3]
    assert not outbox.broker_circuit_open()  # and closes the circuit when the broker answers


@pytest.mark.django_db
def test_a_task_failing_in_process_does_not_open_the_circuit(published: list[int], monkeypatch):
    def task_fails(object_id: int, payload: dict[str, Any]) -> None:
        raise RuntimeError("the eager task raised")

    monkeypatch.setitem(outbox._HANDLERS, TOPIC, [task_fails])
    assert outbox.outbox_relay(message_ids=[row(1).pk, row(2).pk]) == 0
    assert OutboxMessage.objects.get(object_id=2).attempts == 1  # tried: not stopped by the first
    assert not outbox.broker_circuit_open()


@pytest.mark.django_db
def test_a_row_another_relay_is_publishing_is_left_to_it(published: list[int]):
    held = row(1)
    OutboxMessage.objects.filter(pk=held.pk).update(claimed_until=timezone.now() + timedelta(seconds=30))
    expired = row(2)
    OutboxMessage.objects.filter(pk=expired.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert outbox.outbox_relay(message_ids=[held.pk, expired.pk]) == 1
    assert published == [2]


@pytest.mark.fullstack
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_publish_each_row_once(published: list[int]):
    """Two beats (or the relay and a sweep) at the same moment: each row goes to the broker once."""
    for n in range(40):
        row(n, age=timedelta(minutes=1))
    counts, failures = run_together([outbox.outbox_sweep, outbox.outbox_sweep])
    assert failures == []
    assert sum(counts) == 40
    assert sorted(published) == list(range(40))
    assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()
