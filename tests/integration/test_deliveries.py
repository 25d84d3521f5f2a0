"""Deliveries to agencies' own systems on the full stack: one slow agency slows only itself.

The pipeline worker (routing, consolidation) and the delivery worker (every agency's queue) are
separate processes, as in production. An endpoint that hangs (takes the request, never answers)
costs the delivery worker a read timeout per attempt until the agency's circuit opens; after that
its deliveries are parked, and they go out when the endpoint recovers.
"""

from __future__ import annotations

import pytest

from agencies.models import Agency, DeliveryCircuit, DeliveryStatus, WebhookDelivery
from agencies.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_verify
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus
from singlewindow.celery import app as celery_app

from .conftest import Stack, WebhookReceiver
from .test_pipeline import api_as, auto_decide_everywhere, demo, lodge, released  # noqa: F401

pytestmark = [
    pytest.mark.fullstack,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("fullstack"),
]

DECLARATIONS = 30


def consumed_queues(nodename: str) -> set[str]:
    replies = celery_app.control.inspect(destination=[nodename], timeout=2).active_queues() or {}
    return {queue["name"] for queue in replies.get(nodename, [])}


def test_the_pipeline_worker_serves_no_agency_queue_and_the_delivery_worker_serves_them_all(
    demo: dict[str, str],  # noqa: F811
    stack: Stack,
):
    assert stack.deliveries is not None
    agency_queues = {agency.queue_name for agency in Agency.objects.filter(is_active=True)}
    assert agency_queues

    delivery_queues = stack.wait_until(
        lambda: (queues := consumed_queues(stack.deliveries.nodename)) >= agency_queues and queues,
        what="the delivery worker to consume every agency's queue",
    )
    assert "celery" not in delivery_queues
    assert consumed_queues(stack.worker.nodename) == {"celery"}


def test_an_agency_endpoint_that_hangs_holds_up_no_release_and_its_deliveries_arrive_when_it_recovers(
    demo: dict[str, str],  # noqa: F811
    stack: Stack,
    webhook_receiver: WebhookReceiver,
):
    auto_decide_everywhere()  # nothing waits on a human: every declaration is released by itself
    secret = "standards-shared-secret"
    Agency.objects.filter(code="standards").update(
        webhook_url=webhook_receiver.hang("/standards"), webhook_secret=secret
    )
    Agency.objects.filter(code="food-safety").update(
        webhook_url=webhook_receiver.url("/food-safety", status=200), webhook_secret="food-secret"
    )
    broker = api_as("broker", demo)
    declarations = [lodge(broker) for _ in range(DECLARATIONS)]
    mrns = [d.mrn for d in declarations]

    def deliveries(agency: str, **filters: object) -> int:
        return WebhookDelivery.objects.filter(
            review__declaration__mrn__in=mrns, agency__code=agency, **filters
        ).count()

    stack.wait_until(
        lambda: released(*declarations), timeout=60, what="every declaration released while standards hangs"
    )
    # Released while the standards endpoint still hangs: not one of its deliveries went through.
    assert deliveries("standards", status=DeliveryStatus.DELIVERED) == 0
    stack.wait_until(
        lambda: webhook_receiver.requests_to("/standards"), what="a request to the hanging endpoint"
    )
    stack.wait_until(
        lambda: deliveries("food-safety", status=DeliveryStatus.DELIVERED) == DECLARATIONS,
        timeout=60,
        what="every delivery to food safety while standards hangs",
    )

    # The standards circuit opened: its other deliveries wait, pending and never attempted.
    stack.wait_until(
        lambda: (
            DeliveryCircuit.objects.filter(agency__code="standards", opened_at__isnull=False).exists()
            and deliveries("standards", parked_at__isnull=False, attempts=0) > 0
        ),
        what="the standards circuit to open and park its deliveries",
    )
    assert deliveries("standards", status=DeliveryStatus.FAILED) == 0

    webhook_receiver.recover("/standards", status=200)
    stack.wait_until(
        lambda: deliveries("standards", status=DeliveryStatus.DELIVERED) == DECLARATIONS,
        timeout=60,
        what="every parked delivery to standards after it recovered",
    )
    circuit = DeliveryCircuit.objects.get(agency__code="standards")
    assert (circuit.opened_at, circuit.failures) == (None, 0)
    assert deliveries("standards", parked_at__isnull=False) == 0

    standards = WebhookDelivery.objects.filter(review__declaration__mrn__in=mrns, agency__code="standards")
    received = {r.headers[DELIVERY_HEADER]: r for r in webhook_receiver.requests_to("/standards")}
    assert {str(pk) for pk in standards.values_list("pk", flat=True)} <= set(received)
    arrived = received[str(standards.first().pk)]  # type: ignore[union-attr]
    assert signature_verify(
        secret=secret,
        timestamp=arrived.headers[TIMESTAMP_HEADER],
        body=arrived.body,
        signature=arrived.headers[SIGNATURE_HEADER],
    )
    assert Declaration.objects.filter(mrn__in=mrns, status=DeclarationStatus.RELEASED).count() == DECLARATIONS
    stack.wait_idle(timeout=30)
