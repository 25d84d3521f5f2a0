"""Faults injected while work is in flight, on the full stack; each ends with the pipeline complete.

Every scenario lodges a batch through the API, breaks something while the worker is in the middle
of it (tasks held mid-transaction by a table lock, or queued behind them), repairs it the way
operations would (the broker or the worker comes back, beat sweeps), and then checks the end state:
every accepted declaration routed to exactly its agencies (one review per agency), exactly one
release decision each, nothing done twice, and the same worker process alive and answering. Each
records its figures (lodged, released, lost, duplicated, drain time from the repair to the last
release), printed at the end of the run (``SW_FAULTS_JSON`` also writes them to a file).

The worker killed in the middle of routing is ``test_pipeline``'s, and records its figures too;
duplicate deliveries of every task are there as well, and a hanging agency endpoint is in
``test_deliveries``.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from agencies.models import AgencyReview
from clearance.models import ReleaseDecision
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus
from singlewindow.models import OutboxMessage
from singlewindow.outbox import broker_circuit_open
from tests.concurrency import run_together

from ..declarations.payloads import import_payload
from .conftest import FAULT_FIGURES, Stack, blocked_backends, in_parallel, table_locked
from .test_pipeline import (  # noqa: F401 - demo is a fixture
    EXPECTED_ROUTES,
    api_as,
    audit_counts,
    auto_decide_everywhere,
    demo,
    lodge,
    review_of,
    routes_of,
)

pytestmark = [
    pytest.mark.fullstack,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("fullstack"),
]

BATCH = 24
DUPLICATED = 8  # declarations sent twice; each decision too
DRAIN_TIMEOUT = 60.0


def complete(
    stack: Stack, batch: list[Declaration], *, fault: str, repaired_at: float, record: Callable[..., None]
) -> dict[str, Any]:
    """Wait for the batch to be released; check nothing was lost or done twice; record the figures."""
    pks = [d.pk for d in batch]
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while (
        ReleaseDecision.objects.filter(declaration__in=pks).count() < len(pks) and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    drain = time.monotonic() - repaired_at
    released = ReleaseDecision.objects.filter(declaration__in=pks).count()
    if released == len(pks):
        stack.wait_idle()
    duplicated = 0
    for declaration in batch:
        per_agency = Counter(
            AgencyReview.objects.filter(declaration=declaration).values_list("agency__code", flat=True)
        )
        audit = audit_counts(declaration)
        duplicated += sum(n - 1 for n in per_agency.values())
        duplicated += max(0, audit["declarations.declaration.routed"] - 1)
        duplicated += max(0, audit["declarations.declaration.released"] - 1)
    figures = {
        "fault": fault,
        "lodged": len(pks),
        "released": released,
        "lost": len(pks) - released,
        "duplicated": duplicated,
        "drain_seconds": round(drain, 2),
    }
    record(FAULT_FIGURES, figures)
    assert figures["lost"] == 0, f"{figures}\n{stack.logs()}"
    assert figures["duplicated"] == 0, figures
    for declaration in batch:
        assert routes_of(declaration) == EXPECTED_ROUTES
        assert Declaration.objects.get(pk=declaration.pk).status == DeclarationStatus.RELEASED
    stack.worker.wait_alive()
    return figures


def test_redis_stopped_with_tasks_in_flight_the_same_worker_reconnects_and_the_backlog_drains(
    demo: dict[str, str],  # noqa: F811
    stack: Stack,
    record_property: Callable[..., None],
):
    """Two routings are mid-transaction and the rest wait in Redis when it stops (losing them all)."""
    auto_decide_everywhere()
    broker = api_as("broker", demo)
    worker_pid = stack.worker.process.pid if stack.worker.process else None

    with table_locked("agencies_agencyreview"):
        batch = [lodge(broker) for _ in range(BATCH)]
        stack.wait_until(lambda: blocked_backends() >= 2, what="two routings held mid-transaction")
        stack.redis.stop()
        # Lodgement goes on while the broker is down: the first publish fails and opens this
        # process's circuit; the next lodgements do not try the broker at all.
        during = [lodge(broker) for _ in range(4)]
        assert broker_circuit_open()
        attempts = list(
            OutboxMessage.objects.filter(
                topic="declarations.declaration.accepted", object_id__in=[d.pk for d in during]
            )
            .order_by("pk")
            .values_list("published_at", "attempts")
        )
        assert attempts == [(None, 1), (None, 0), (None, 0), (None, 0)]
    # The held routings finish while the broker is away; their acknowledgements have nowhere to go.
    stack.wait_until(
        lambda: ReleaseDecision.objects.filter(declaration__in=[d.pk for d in batch]).count() >= 2,
        what="the routings in flight to finish",
    )

    stack.redis.start()  # empty: everything that was queued is gone
    repaired_at = time.monotonic()
    assert stack.worker.process is not None and stack.worker.process.pid == worker_pid
    stack.worker.wait_alive()  # the same process, reconnected
    stack.sweep()

    complete(
        stack,
        batch + during,
        fault="redis stopped, tasks in flight",
        repaired_at=repaired_at,
        record=record_property,
    )
    assert stack.worker.process is not None and stack.worker.process.pid == worker_pid


def worker_backends() -> list[int]:
    """Sessions on the test database other than this test's: the worker pool's connections."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return [int(row[0]) for row in cursor.fetchall()]


def test_postgresql_ends_the_worker_sessions_mid_routing_and_the_tasks_retry_to_completion(
    demo: dict[str, str],  # noqa: F811
    stack: Stack,
    record_property: Callable[..., None],
):
    """A database restart or failover as the worker sees it: its sessions end mid-transaction."""
    auto_decide_everywhere()
    broker = api_as("broker", demo)

    with table_locked("agencies_agencyreview"):
        batch = [lodge(broker) for _ in range(BATCH)]
        stack.wait_until(lambda: blocked_backends() >= 2, what="two routings held mid-transaction")
        ended = worker_backends()
        assert len(ended) >= 2
        with connection.cursor() as cursor:
            for pid in ended:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        repaired_at = time.monotonic()
    # The interrupted routings rolled back; their tasks retry (OperationalError) on new sessions.
    complete(
        stack, batch, fault="postgresql sessions terminated", repaired_at=repaired_at, record=record_property
    )


def test_two_beats_sweep_at_once_and_each_lost_task_is_enqueued_once(
    demo: dict[str, str],  # noqa: F811
    stack: Stack,
    record_property: Callable[..., None],
    settings: Any,
):
    """Redis lost the queue while the worker was down; two beat processes then sweep together."""
    from clearance.tasks import clearance_sweep
    from singlewindow.tasks import outbox_sweep

    settings.SW_STUCK_SECONDS = 0
    auto_decide_everywhere()
    broker = api_as("broker", demo)
    stack.worker.kill()  # idle: nothing of it is abandoned
    batch = [lodge(broker) for _ in range(BATCH)]
    stack.redis.stop()
    stack.redis.start()  # the routings queued for the dead worker are gone

    def beat() -> None:
        outbox_sweep()  # what beat runs: both sweeps, as tasks of their own
        clearance_sweep()

    _, failures = run_together([beat, beat])
    assert failures == []
    with stack.redis.client() as client:
        assert client.llen("celery") == BATCH  # one routing per declaration, not two

    stack.worker.start()
    repaired_at = time.monotonic()
    complete(
        stack, batch, fault="two beats sweeping at once", repaired_at=repaired_at, record=record_property
    )


@pytest.mark.parametrize("with_key", [False, True], ids=["without a key", "with an Idempotency-Key"])
def test_every_request_sent_twice_at_once_lodges_and_decides_once(
    demo: dict[str, str],  # noqa: F811
    stack: Stack,
    record_property: Callable[..., None],
    with_key: bool,
):
    """A client retrying at once: each lodgement and each officer's decision arrives twice together."""
    broker = api_as("broker", demo)
    officers = {"standards": api_as("standards_officer", demo), "food-safety": api_as("food_officer", demo)}

    def twice(client: APIClient, path: str, body: dict[str, Any]) -> list[Any]:
        headers = {"Idempotency-Key": f"k-{uuid.uuid4().hex}"} if with_key else {}
        return in_parallel(*[lambda: client.post(path, body, format="json", headers=headers)] * 2)

    batch: list[Declaration] = []
    for _ in range(DUPLICATED):
        answers = twice(broker, "/api/v1/declarations", import_payload(lrn=f"IT-{uuid.uuid4().hex[:12]}"))
        mrns = {a.json()["mrn"] for a in answers if a.status_code in (200, 201)}
        assert len(mrns) == 1, [a.content for a in answers]
        statuses = sorted(a.status_code for a in answers)
        # Without a key the LRN settles it (201, then 200 for the same content); with one, the
        # repeat replays the first answer or is told to retry while it runs (409, not stored).
        assert statuses in ([200, 201], [201, 201], [201, 409]), statuses
        batch.append(Declaration.objects.get(mrn=mrns.pop()))

    stack.wait_until(
        lambda: (
            not Declaration.objects.filter(
                pk__in=[d.pk for d in batch], status=DeclarationStatus.ACCEPTED
            ).exists()
        ),
        what="the batch routed",
    )
    repaired_at = time.monotonic()
    for declaration in batch:
        for agency, client in officers.items():
            review = review_of(declaration, agency)
            answers = twice(
                client, f"/api/v1/reviews/{review.pk}/decision", {"outcome": "approved", "reason": "Fine."}
            )
            ok = [a for a in answers if a.status_code == 200]
            assert ok, [a.content for a in answers]
            for other in (a for a in answers if a.status_code != 200):
                assert other.status_code == 409
                # Without a key the copy finds the review decided, or, when the other copy's
                # decision was the last one and the worker already released, the declaration closed.
                expected = {"idempotency_in_progress"} if with_key else {"review_state", "declaration_closed"}
                assert other.json()["errors"][0]["code"] in expected, other.content
            if with_key:  # never a stored 409 for a decision that was recorded
                assert all(a.json()["status"] == "approved" for a in ok)
    complete(
        stack,
        batch,
        fault=f"duplicate requests at once, {'with' if with_key else 'without'} a key",
        repaired_at=repaired_at,
        record=record_property,
    )
    for declaration in batch:
        assert audit_counts(declaration)["agencies.review.approved"] == len(EXPECTED_ROUTES)
