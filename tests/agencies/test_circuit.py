"""The circuit breaker of an agency's deliveries: failures open it, parked deliveries wait unattempted,
one trial after the cool-off, success releases them, and the sweep keeps to all of it.

Sends run as the delivery worker runs them (``circuit=True``); the endpoint is faked at
``singlewindow.egress.webhook_post``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from agencies import services, tasks
from agencies.errors import DeliveryError
from agencies.models import Agency, CircuitState, DeliveryCircuit, DeliveryStatus, WebhookDelivery
from singlewindow import egress, outbox
from singlewindow.models import OutboxMessage

from .fixtures import lodge, mixed_payload

pytestmark = pytest.mark.django_db

FAILURES = 3
COOLOFF = 60


class Endpoint:
    def __init__(self, status: int) -> None:
        self.status = status
        self.calls: list[str] = []
        self.during: Any = None  # called while the POST is on the wire

    def __call__(self, url: str, *, data: bytes, headers: dict[str, str], timeout: Any) -> egress.Answer:
        self.calls.append(headers["X-SingleWindow-Delivery"])
        if self.during is not None:
            during, self.during = self.during, None
            during()
        return egress.Answer(status_code=self.status, excerpt="")


@pytest.fixture
def circuit_settings(settings: Any) -> None:
    settings.SW_WEBHOOK_CIRCUIT_FAILURES = FAILURES
    settings.SW_WEBHOOK_CIRCUIT_COOLOFF_SECONDS = COOLOFF


@pytest.fixture
def trials(monkeypatch) -> list[tuple[int, str, float]]:
    """The trial tasks scheduled (agency, queue, countdown), instead of publishing them."""
    scheduled: list[tuple[int, str, float]] = []
    monkeypatch.setattr(
        tasks, "circuit_trial_enqueue", lambda a, q, countdown=0: scheduled.append((a, q, countdown))
    )
    return scheduled


@pytest.fixture
def deliveries(
    plant_health: Agency,
    importer,
    agencies,
    monkeypatch,
    django_capture_on_commit_callbacks,
    circuit_settings,
) -> list[WebhookDelivery]:
    """Five pending deliveries to plant health, none sent yet (their tasks never reach a broker)."""
    Agency.objects.filter(pk=plant_health.pk).update(
        webhook_url="https://plant-health.example.test/single-window", webhook_secret="s" * 32
    )
    monkeypatch.setitem(outbox._HANDLERS, "agencies.delivery.send", [])
    for n in range(5):
        lodge(importer, mixed_payload(lrn=f"CB-{n}"), django_capture_on_commit_callbacks)
    return list(WebhookDelivery.objects.order_by("created_at", "pk"))


def send(delivery: WebhookDelivery, *, final: bool = False) -> WebhookDelivery:
    return services.webhook_send(delivery_id=delivery.pk, final_attempt=final, circuit=True)


def circuit() -> DeliveryCircuit:
    return DeliveryCircuit.objects.get(agency__code="plant-health")


def open_the_circuit(deliveries: list[WebhookDelivery], monkeypatch) -> Endpoint:
    endpoint = Endpoint(503)
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    for delivery in deliveries[: FAILURES - 1]:
        with pytest.raises(DeliveryError):
            send(delivery)
    send(deliveries[FAILURES - 1])  # the failure that opens it parks its delivery: nothing raised
    return endpoint


def test_consecutive_failures_open_the_circuit_park_the_delivery_and_schedule_the_trial(
    deliveries, monkeypatch, trials
):
    open_the_circuit(deliveries, monkeypatch)
    state = circuit()
    assert (state.failures, state.state) == (FAILURES, CircuitState.OPEN)
    opener = WebhookDelivery.objects.get(pk=deliveries[FAILURES - 1].pk)
    assert (opener.status, opener.attempts, opener.last_status_code) == (DeliveryStatus.PENDING, 1, 503)
    assert opener.parked_at is not None
    agency = deliveries[0].agency
    assert trials == [(agency.pk, "agency.plant-health", COOLOFF)]


def test_a_success_before_the_threshold_starts_the_count_again(deliveries, monkeypatch, trials):
    endpoint = Endpoint(503)
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    for delivery in deliveries[: FAILURES - 1]:
        with pytest.raises(DeliveryError):
            send(delivery)
    endpoint.status = 200
    send(deliveries[FAILURES - 1])
    endpoint.status = 503
    with pytest.raises(DeliveryError):
        send(deliveries[FAILURES])
    assert (circuit().failures, circuit().state) == (1, CircuitState.CLOSED)


def test_while_open_deliveries_are_parked_unattempted_and_never_fail(deliveries, monkeypatch, trials):
    endpoint = open_the_circuit(deliveries, monkeypatch)
    calls = len(endpoint.calls)
    late = deliveries[FAILURES]
    parked = send(late, final=True)  # even the last retry of a task: parked, not failed
    assert len(endpoint.calls) == calls
    assert (parked.status, parked.attempts) == (DeliveryStatus.PENDING, 0)
    assert parked.parked_at is not None
    # A retry of a delivery that failed before the circuit opened parks too, its attempts kept.
    retried = send(deliveries[0])
    assert (retried.status, retried.attempts, retried.parked_at is not None) == (
        DeliveryStatus.PENDING,
        1,
        True,
    )
    assert len(endpoint.calls) == calls


def test_after_the_cooloff_one_trial_goes_and_its_success_releases_every_parked_delivery(
    deliveries, monkeypatch, trials, django_capture_on_commit_callbacks
):
    endpoint = open_the_circuit(deliveries, monkeypatch)
    for delivery in deliveries[FAILURES:]:
        send(delivery)
    agency_id = deliveries[0].agency_id
    assert services.circuit_trial_candidate(agency_id=agency_id) is None  # still cooling off
    endpoint.status = 200
    endpoint.calls.clear()

    with time_machine.travel(timezone.now() + timedelta(seconds=COOLOFF + 1), tick=False):
        assert circuit().state == CircuitState.HALF_OPEN
        trial = services.circuit_trial_candidate(agency_id=agency_id)
        assert trial == deliveries[FAILURES - 1].pk  # the oldest parked delivery
        waiting = set(WebhookDelivery.objects.filter(parked_at__isnull=False).values_list("pk", flat=True))
        # Another delivery of the agency comes while the trial is on the wire: it waits.
        other = deliveries[FAILURES]
        endpoint.during = lambda: send(other)
        with django_capture_on_commit_callbacks(execute=False):
            sent = services.webhook_send(delivery_id=trial, final_attempt=False, circuit=True)

    assert sent.status == DeliveryStatus.DELIVERED
    assert endpoint.calls == [str(trial)]  # the other one was not attempted
    assert (circuit().failures, circuit().opened_at, circuit().state) == (0, None, CircuitState.CLOSED)
    assert not WebhookDelivery.objects.filter(parked_at__isnull=False).exists()
    released = set(
        OutboxMessage.objects.filter(topic="agencies.delivery.send", published_at__isnull=True).values_list(
            "object_id", flat=True
        )
    )
    assert released == waiting - {trial}  # each back on its queue after commit


def test_a_failed_trial_opens_the_circuit_for_another_cooloff(deliveries, monkeypatch, trials):
    open_the_circuit(deliveries, monkeypatch)
    first_opened = circuit().opened_at
    later = timezone.now() + timedelta(seconds=COOLOFF + 1)
    with time_machine.travel(later, tick=False):
        trial = services.circuit_trial_candidate(agency_id=deliveries[0].agency_id)
        assert trial is not None
        parked = services.webhook_send(delivery_id=trial, final_attempt=True, circuit=True)
        state = circuit()
        assert state.state == CircuitState.OPEN
    assert state.opened_at is not None and first_opened is not None and state.opened_at > first_opened
    assert state.trial_until is None
    assert (parked.status, parked.parked_at is not None) == (DeliveryStatus.PENDING, True)
    assert len(trials) == 2  # the next trial is scheduled


def test_the_sweep_leaves_parked_deliveries_alone_until_the_circuit_half_opens(
    deliveries, monkeypatch, trials
):
    open_the_circuit(deliveries, monkeypatch)
    for delivery in deliveries[FAILURES:]:
        send(delivery)
    monkeypatch.setattr(tasks, "webhook_enqueue", lambda pk, payload: None)
    parked = set(WebhookDelivery.objects.filter(parked_at__isnull=False).values_list("pk", flat=True))
    trials.clear()

    stuck = services.deliveries_stuck(older_than=timedelta(seconds=-1))
    assert not {pk for pk, _queue in stuck} & parked  # only the two waiting for their retry
    tasks.delivery_sweep()
    assert trials == []  # cooling off: no trial yet
    with time_machine.travel(timezone.now() + timedelta(seconds=COOLOFF + 1), tick=False):
        tasks.delivery_sweep()
    assert trials == [(deliveries[0].agency_id, "agency.plant-health", 0)]


def test_the_trial_task_sends_the_oldest_parked_delivery_once_the_cooloff_is_over(
    deliveries, monkeypatch, trials
):
    open_the_circuit(deliveries, monkeypatch)
    enqueued: list[tuple[int, dict[str, Any]]] = []
    monkeypatch.setattr(tasks, "webhook_enqueue", lambda pk, payload: enqueued.append((pk, payload)))
    agency_id = deliveries[0].agency_id
    tasks.circuit_trial(agency_id, "agency.plant-health")
    assert enqueued == []
    with time_machine.travel(timezone.now() + timedelta(seconds=COOLOFF + 1), tick=False):
        tasks.circuit_trial(agency_id, "agency.plant-health")
    assert enqueued == [(deliveries[FAILURES - 1].pk, {"queue": "agency.plant-health"})]


def test_the_sweep_releases_deliveries_left_parked_behind_a_closed_circuit(
    deliveries, monkeypatch, trials, django_capture_on_commit_callbacks
):
    open_the_circuit(deliveries, monkeypatch)
    for delivery in deliveries[FAILURES:]:
        send(delivery)
    parked = list(WebhookDelivery.objects.filter(parked_at__isnull=False).values_list("pk", flat=True))
    # The circuit closed, but the release never happened (the process died in between).
    DeliveryCircuit.objects.update(failures=0, opened_at=None)
    with django_capture_on_commit_callbacks(execute=False):
        assert tasks.delivery_sweep() >= len(parked)
    assert not WebhookDelivery.objects.filter(parked_at__isnull=False).exists()
    assert set(
        OutboxMessage.objects.filter(
            topic="agencies.delivery.send", object_id__in=parked, published_at__isnull=True
        ).values_list("object_id", flat=True)
    ) == set(parked)


def test_the_embedded_mode_has_no_circuit(
    plant_health, importer, agencies, monkeypatch, django_capture_on_commit_callbacks, circuit_settings
):
    Agency.objects.filter(pk=plant_health.pk).update(
        webhook_url="https://plant-health.example.test/single-window", webhook_secret="s" * 32
    )
    monkeypatch.setattr(egress, "webhook_post", Endpoint(503))
    for n in range(FAILURES + 1):
        lodge(importer, mixed_payload(lrn=f"EMB-{n}"), django_capture_on_commit_callbacks)
    # One attempt each, in-process: failed at once, nothing parked, no circuit to release them.
    assert set(WebhookDelivery.objects.values_list("status", "attempts", "parked_at")) == {
        (DeliveryStatus.FAILED, 1, None)
    }
    assert not DeliveryCircuit.objects.exists()
