"""The Time Release Study's facts: written once per release decision, from the clearance records,
the same by the outbox handler and by the set-based rebuild; the daily histograms likewise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command

from agencies import services as reviews
from agencies.models import InformationRequest
from clearance.services import TOPIC_RELEASE_DECIDED
from declarations.models import Status
from insights import services, tasks
from insights.models import ClearanceFact, ReviewFact, StageDaily
from singlewindow.models import OutboxMessage
from tests.agencies.fixtures import lodge, mixed_payload, review_of

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _at(moment, action, capture):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return action()


@pytest.fixture
def released(
    importer, agencies, plant_officer, food_officer, standards_officer, django_capture_on_commit_callbacks
):
    """The importer's mixed declaration lodged at T0; food safety approves after 2 h; plant health
    asks a question at 1 h that the trader answers at 3 h, and approves at 4 h; standards approves
    at 5 h: released at T0 + 5 h."""
    capture = django_capture_on_commit_callbacks
    with time_machine.travel(T0, tick=False):
        declaration = lodge(importer, mixed_payload(), capture)
    _at(
        T0 + HOUR,
        lambda: reviews.review_decide(
            review=review_of(declaration, "plant-health"),
            officer=plant_officer,
            outcome="info_requested",
            reason="Send the phytosanitary certificate",
        ),
        capture,
    )
    _at(
        T0 + 2 * HOUR,
        lambda: reviews.review_decide(
            review=review_of(declaration, "food-safety"), officer=food_officer, outcome="approved"
        ),
        capture,
    )
    request = InformationRequest.objects.get(review__declaration=declaration)
    _at(
        T0 + 3 * HOUR,
        lambda: reviews.information_answer(information_request=request, user=importer, answer="Attached."),
        capture,
    )
    _at(
        T0 + 4 * HOUR,
        lambda: reviews.review_decide(
            review=review_of(declaration, "plant-health"), officer=plant_officer, outcome="approved"
        ),
        capture,
    )
    _at(
        T0 + 5 * HOUR,
        lambda: reviews.review_decide(
            review=review_of(declaration, "standards"), officer=standards_officer, outcome="approved"
        ),
        capture,
    )
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    return declaration


def _facts():
    fact_fields = [
        f.name for f in ClearanceFact._meta.concrete_fields if f.name not in ("id", "refreshed_at")
    ]
    review_fields = [f.name for f in ReviewFact._meta.concrete_fields if f.name != "id"]
    return (
        list(ClearanceFact.objects.order_by("declaration_id").values(*fact_fields)),
        list(ReviewFact.objects.order_by("review_id").values(*review_fields)),
    )


def _daily():
    return list(
        StageDaily.objects.order_by("day", "stage", "dimension", "key").values(
            "day", "stage", "dimension", "key", "count", "sum_seconds", "buckets"
        )
    )


def test_the_release_decision_writes_the_declarations_fact_with_each_stage(released):
    fact = ClearanceFact.objects.get(declaration=released)
    assert fact.outcome == "released"
    assert fact.direction == released.direction
    assert fact.declaration_type == released.full_type
    assert fact.lodged_at == T0
    assert fact.decided_at == T0 + 5 * HOUR
    assert fact.day == (T0 + 5 * HOUR).date()
    assert fact.total_seconds == 5 * 3600
    # The stages one after the other add up to the total.
    assert (
        fact.routing_seconds + fact.review_seconds + fact.payment_seconds + fact.release_seconds == 5 * 3600
    )
    assert fact.routing_seconds == 0 and fact.review_seconds == 5 * 3600


def test_the_waiting_on_the_trader_is_left_out_of_the_agencys_net_time(released):
    plant = ReviewFact.objects.get(declaration=released, agency__code="plant-health")
    assert plant.gross_seconds == 4 * 3600
    assert plant.waiting_seconds == 2 * 3600  # asked at 1 h, answered at 3 h
    assert plant.net_seconds == 2 * 3600
    food = ReviewFact.objects.get(declaration=released, agency__code="food-safety")
    assert (food.gross_seconds, food.waiting_seconds, food.net_seconds) == (2 * 3600, 0, 2 * 3600)


def test_the_agencys_net_time_histogram_leaves_out_the_waiting(released):
    day = (T0 + 5 * HOUR).date()
    gross = StageDaily.objects.get(day=day, stage="agency", dimension="agency", key="plant-health")
    net = StageDaily.objects.get(day=day, stage="agency_net", dimension="agency", key="plant-health")
    assert (gross.count, gross.sum_seconds) == (1, 4 * 3600)
    assert (net.count, net.sum_seconds) == (1, 2 * 3600)


def test_a_duplicate_outbox_delivery_writes_the_fact_once(released):
    before = (_facts(), _daily())
    message = OutboxMessage.objects.filter(topic=TOPIC_RELEASE_DECIDED, object_id=released.pk).get()
    tasks.on_release_decided(message.object_id, message.payload)
    tasks.on_release_decided(message.object_id, message.payload)
    assert ClearanceFact.objects.filter(declaration=released).count() == 1
    assert ReviewFact.objects.filter(declaration=released).count() == 3
    assert (_facts(), _daily()) == before


def test_the_set_based_rebuild_writes_what_the_outbox_handler_wrote(released):
    by_handler = (_facts(), _daily())
    ClearanceFact.objects.all().delete()
    ReviewFact.objects.all().delete()
    StageDaily.objects.all().delete()
    call_command("insights_rebuild", stdout=StringIO())
    assert (_facts(), _daily()) == by_handler


def test_the_rebuild_is_idempotent(released):
    call_command("insights_rebuild", stdout=StringIO())
    first = (_facts(), _daily())
    call_command("insights_rebuild", "--since", "2026-03-01", stdout=StringIO())
    assert (_facts(), _daily()) == first
    assert ClearanceFact.objects.count() == 1


def test_the_set_based_histograms_match_the_python_reference(released):
    day = (T0 + 5 * HOUR).date()
    expected = [
        (r.day, r.stage, r.dimension, r.key, r.count, r.sum_seconds, r.buckets)
        for r in services.stage_daily_rows_python(days=[day])
    ]
    assert [tuple(r.values()) for r in _daily()] == expected
    assert {(r[1], r[2]) for r in expected} >= {("total", "all"), ("total", "lane"), ("agency_net", "agency")}


def test_a_day_without_releases_any_more_loses_its_rows(released):
    day = (T0 + 5 * HOUR).date()
    ClearanceFact.objects.all().delete()
    services.stage_daily_refresh(days=[day])
    assert not StageDaily.objects.filter(day=day).exists()


def test_beat_writes_the_facts_the_outbox_missed(released):
    ClearanceFact.objects.all().delete()
    ReviewFact.objects.all().delete()
    with time_machine.travel(T0 + 6 * HOUR, tick=False):
        services.stage_daily_refresh_recent()
    assert ClearanceFact.objects.filter(declaration=released).exists()
    assert (
        StageDaily.objects.filter(day=(T0 + 5 * HOUR).date(), stage="total", dimension="all").get().count == 1
    )


def test_decisions_of_one_day_share_one_pending_refresh_of_its_histograms(released, monkeypatch):
    # What a worker does with many decisions a second: the first schedules the day's refresh, the
    # others find it pending; once it has run, the next decision schedules another.
    scheduled = []
    monkeypatch.setattr(
        tasks.stage_days_refresh, "apply_async", lambda args, countdown: scheduled.append((args, countdown))
    )
    cache.clear()
    day = (T0 + 5 * HOUR).date().isoformat()

    for _ in range(3):
        tasks.fact_record(released.pk)

    assert scheduled == [(([day],), tasks.REFRESH_DELAY_SECONDS)]
    StageDaily.objects.all().delete()
    tasks.stage_days_refresh([day])  # the scheduled refresh runs
    assert StageDaily.objects.filter(day=day, stage="total", dimension="all").get().count == 1
    tasks.fact_record(released.pk)
    assert len(scheduled) == 2
