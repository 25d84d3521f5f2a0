"""The clearance sweep re-enqueues what the pipeline lost, once: not again while it may still be queued."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from clearance import tasks
from clearance.models import Redrive
from declarations.models import Declaration, Status
from singlewindow import outbox
from tests.concurrency import run_together

from ..agencies.fixtures import lodge, mixed_payload


class Enqueued:
    """Stands in for a task: records what the sweep enqueues, runs nothing."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.lock = threading.Lock()

    def delay(self, pk: int) -> None:
        with self.lock:
            self.ids.append(pk)


@pytest.fixture
def routing_lost(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Enqueued:
    """Lodged declarations never reach routing; the sweep's re-enqueued routings are recorded."""
    settings.SW_STUCK_SECONDS = -1
    monkeypatch.setitem(outbox._HANDLERS, "declarations.declaration.accepted", [])
    enqueued = Enqueued()
    monkeypatch.setattr(tasks, "declaration_route", enqueued)
    return enqueued


@pytest.mark.django_db
def test_what_the_sweep_re_enqueued_waits_in_the_queue_until_the_wait_has_passed(
    importer, agencies, routing_lost, settings, django_capture_on_commit_callbacks
):
    settings.SW_REDRIVE_WAIT_SECONDS = 420
    declaration = lodge(importer, mixed_payload(lrn="CLR-REDRIVE"), django_capture_on_commit_callbacks)
    assert tasks.clearance_sweep()["routed"] == 1
    # The workers are behind: the declaration is still accepted, its routing still queued.
    for _ in range(3):
        assert tasks.clearance_sweep()["routed"] == 0
    assert routing_lost.ids == [declaration.pk]

    Redrive.objects.update(requeued_at=timezone.now() - timedelta(seconds=421))
    assert tasks.clearance_sweep()["routed"] == 1  # lost after all: re-enqueued again
    assert routing_lost.ids == [declaration.pk, declaration.pk]
    assert Declaration.objects.get(pk=declaration.pk).status == Status.ACCEPTED


@pytest.mark.fullstack
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_re_enqueue_each_declaration_once(
    importer, agencies, routing_lost, django_capture_on_commit_callbacks
):
    """Two beat processes (a deployment mistake, or a failover) run the sweep at the same moment."""
    lodged = [
        lodge(importer, mixed_payload(lrn=f"CLR-TWO-BEATS-{n}"), django_capture_on_commit_callbacks).pk
        for n in range(20)
    ]
    _, failures = run_together([tasks.clearance_sweep, tasks.clearance_sweep])
    assert failures == []
    assert sorted(routing_lost.ids) == sorted(lodged)
