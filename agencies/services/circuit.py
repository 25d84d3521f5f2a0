"""The circuit breaker of an agency's deliveries (``DeliveryCircuit``).

After ``SW_WEBHOOK_CIRCUIT_FAILURES`` failures in a row the circuit opens: the agency's deliveries
are parked, not attempted. Once the cool-off has passed one delivery goes as the trial; its success
closes the circuit and releases the parked rows, its failure opens it for another cool-off."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from singlewindow.audit import audit_log
from singlewindow.outbox import outbox_put

from ..models import Agency, CircuitState, DeliveryCircuit, DeliveryStatus, WebhookDelivery, agency_queue
from .common import DELIVERY_LEASE, TOPIC_DELIVERY_SEND

logger = logging.getLogger(__name__)


CLOSED, PARK, TRIAL = "closed", "park", "trial"


def cooloff() -> timedelta:
    return timedelta(seconds=settings.SW_WEBHOOK_CIRCUIT_COOLOFF_SECONDS)


def circuit_gate(*, agency_id: int) -> str:
    """Whether a delivery of the agency goes (closed), waits (park) or goes as the one trial."""
    opened_at = (
        DeliveryCircuit.objects.filter(agency_id=agency_id).values_list("opened_at", flat=True).first()
    )
    if opened_at is None:
        return CLOSED
    now = timezone.now()
    if now < opened_at + cooloff():
        return PARK
    # Half-open: the first to take the trial's lease goes; every other delivery waits for its outcome.
    claimed = (
        DeliveryCircuit.objects.filter(agency_id=agency_id, opened_at__lte=now - cooloff())
        .filter(Q(trial_until__isnull=True) | Q(trial_until__lt=now))
        .update(trial_until=now + DELIVERY_LEASE)
    )
    return TRIAL if claimed == 1 else PARK


def delivery_park(*, delivery_id: int) -> bool:
    """Park a pending delivery while its agency's circuit is open; False if it closed meanwhile."""
    return (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, agency__circuit__opened_at__isnull=False
        ).update(parked_at=timezone.now())
        == 1
    )


def circuit_failure(*, agency_id: int, trial: bool, now: datetime) -> tuple[bool, bool]:
    """Count a failed attempt: (did this failure open the circuit, is it open now)."""
    DeliveryCircuit.objects.get_or_create(agency_id=agency_id)
    DeliveryCircuit.objects.filter(agency_id=agency_id).update(failures=F("failures") + 1)
    if trial:
        # The trial failed: open again for another cool-off.
        DeliveryCircuit.objects.filter(agency_id=agency_id).update(opened_at=now, trial_until=None)
        return True, True
    opened = (
        DeliveryCircuit.objects.filter(
            agency_id=agency_id,
            opened_at__isnull=True,
            failures__gte=settings.SW_WEBHOOK_CIRCUIT_FAILURES,
        ).update(opened_at=now, trial_until=None)
        == 1
    )
    is_open = DeliveryCircuit.objects.filter(agency_id=agency_id, opened_at__isnull=False).exists()
    return opened, is_open


def circuit_success(*, agency_id: int) -> None:
    """A delivery arrived: the count starts again; an open circuit closes and its parked rows go."""
    was_open = DeliveryCircuit.objects.filter(agency_id=agency_id, opened_at__isnull=False).exists()
    DeliveryCircuit.objects.filter(agency_id=agency_id).filter(
        Q(failures__gt=0) | Q(opened_at__isnull=False)
    ).update(failures=0, opened_at=None, trial_until=None)
    if was_open:
        deliveries_unpark(agency_id=agency_id)


def circuit_trial_schedule(*, agency: Agency) -> None:
    """The trial task, due when the cool-off ends (the delivery sweep does it if this is lost)."""
    from ..tasks import circuit_trial_enqueue

    try:
        circuit_trial_enqueue(agency.pk, agency.queue_name, countdown=cooloff().total_seconds())
    except Exception:  # the broker is away: the delivery sweep schedules the trial
        logger.warning("could not schedule the circuit trial of %s", agency.code, exc_info=True)


def circuit_trial_candidate(*, agency_id: int) -> int | None:
    """The parked delivery to try when the agency's circuit half-opens (its oldest), if it does."""
    now = timezone.now()
    due = (
        DeliveryCircuit.objects.filter(agency_id=agency_id, opened_at__lte=now - cooloff())
        .filter(Q(trial_until__isnull=True) | Q(trial_until__lt=now))
        .exists()
    )
    if not due:
        return None
    return (
        WebhookDelivery.objects.filter(
            agency_id=agency_id, status=DeliveryStatus.PENDING, parked_at__isnull=False
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def circuits_due(*, limit: int = 500) -> list[tuple[int, str]]:
    """Agencies whose circuit may half-open now, with parked deliveries: (agency id, queue)."""
    now = timezone.now()
    rows = (
        DeliveryCircuit.objects.filter(opened_at__lte=now - cooloff(), agency__is_active=True)
        .filter(Q(trial_until__isnull=True) | Q(trial_until__lt=now))
        .filter(
            Exists(
                WebhookDelivery.objects.filter(
                    agency_id=OuterRef("agency_id"), status=DeliveryStatus.PENDING, parked_at__isnull=False
                )
            )
        )
        .values_list("agency_id", "agency__code")[:limit]
    )
    return [(agency_id, agency_queue(code)) for agency_id, code in rows]


@transaction.atomic(durable=True)
def deliveries_unpark(*, agency_id: int) -> int:
    """Release the agency's parked deliveries, if its circuit is closed: each back on its queue.

    Side effects: ``parked_at`` cleared and ``requeued_at`` stamped on each, an outbox row each
    (the delivery task on the agency's queue after commit). Rows another transaction is releasing
    are skipped. Returns how many were released.
    """
    if DeliveryCircuit.objects.filter(agency_id=agency_id, opened_at__isnull=False).exists():
        return 0
    return parked_release(agency=Agency.objects.get(pk=agency_id))


def parked_release(*, agency: Agency) -> int:
    """In the caller's transaction: the agency's parked deliveries unparked and published."""
    rows = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(agency=agency, status=DeliveryStatus.PENDING, parked_at__isnull=False)
        .values_list("pk", flat=True)
    )
    WebhookDelivery.objects.filter(pk__in=rows).update(parked_at=None, requeued_at=timezone.now())
    for pk in rows:
        outbox_put(topic=TOPIC_DELIVERY_SEND, object_id=pk, payload={"queue": agency.queue_name})
    return len(rows)


def agencies_parked_behind_closed_circuits() -> list[int]:
    """Agencies with parked deliveries although their circuit is closed (a release was missed)."""
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, parked_at__isnull=False, agency__is_active=True
        )
        .exclude(agency__circuit__opened_at__isnull=False)
        .values_list("agency_id", flat=True)
        .distinct()
        .order_by("agency_id")
    )


@transaction.atomic(durable=True)
def circuit_close(*, agency: Agency, actor: User) -> int:
    """An administrator closes the agency's circuit ("retry now"): parked deliveries go at once.

    Side effects: the circuit reset (no failures, closed), an audit event, the parked deliveries
    released through the outbox. Returns how many were released.
    """
    circuit = DeliveryCircuit.objects.select_for_update().filter(agency=agency).first()
    before = circuit.state if circuit is not None else CircuitState.CLOSED
    DeliveryCircuit.objects.filter(agency=agency).update(failures=0, opened_at=None, trial_until=None)
    audit_log(
        action="agencies.agency.circuit_closed",
        obj=agency,
        actor=actor,
        data={"from": str(before), "failures": circuit.failures if circuit is not None else 0},
    )
    return parked_release(agency=agency)
