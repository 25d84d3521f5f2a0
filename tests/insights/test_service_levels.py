"""Service levels: the figures per agency (the trader's wait left out), the breaches, the page, its
CSV, who may see what (an officer its own agency only), and the page's query count."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import AgencyReview, InformationRequest, ReviewStatus
from insights import service_levels
from insights.models import ServiceLevelBreach, ServiceLevelDaily
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/insights/service-levels/"


@pytest.fixture
def decided(routed, plant_officer, food_officer):
    """Plant health decided in 2 h (within 24 h); food safety in 30 h, 10 of them waiting for the
    trader, but its due time was never moved (decided 6 h late); standards still open."""
    now = timezone.now()
    t0 = now - timedelta(hours=40)
    plant = routed.reviews.get(agency__code="plant-health")
    food = routed.reviews.get(agency__code="food-safety")
    AgencyReview.objects.filter(pk=plant.pk).update(
        status=ReviewStatus.APPROVED,
        created_at=t0,
        due_at=t0 + timedelta(hours=24),
        decided_at=t0 + timedelta(hours=2),
        decided_by=plant_officer,
    )
    AgencyReview.objects.filter(pk=food.pk).update(
        status=ReviewStatus.REJECTED,
        created_at=t0,
        due_at=t0 + timedelta(hours=24),
        decided_at=t0 + timedelta(hours=30),
        decided_by=food_officer,
    )
    InformationRequest.objects.create(
        review=food,
        question="Lab report?",
        asked_by=food_officer,
        asked_at=t0 + timedelta(hours=1),
        answer="Here",
        answered_at=t0 + timedelta(hours=11),
    )
    service_levels.service_level_refresh(
        first=timezone.localdate() - timedelta(days=3), last=timezone.localdate()
    )
    return {"plant": plant, "food": food, "t0": t0}


def levels_by_code(agencies):
    today = timezone.localdate()
    levels = service_levels.agency_levels(
        agencies=list(agencies), first=today - timedelta(days=3), last=today
    )
    return {level.agency.code: level for level in levels}


def test_refresh_counts_each_agency_decided_within_and_net_time_without_the_trader_wait(decided, agencies):
    by_code = levels_by_code(agencies.values())
    plant, food = by_code["plant-health"], by_code["food-safety"]
    assert (plant.decided, plant.within, str(plant.within_share)) == (1, 1, "100.0")
    assert (food.decided, food.within, str(food.within_share)) == (1, 0, "0.0")
    assert food.net_total == pytest.approx(20 * 3600)  # 30 h less the 10 h waiting for the answer
    assert plant.net_total == pytest.approx(2 * 3600)
    # Percentiles come from the histogram: within one bucket (25 %) of the true value.
    assert 16 * 3600 <= food.median_seconds <= 25 * 3600
    assert by_code["standards"].decided == 0
    (breach,) = ServiceLevelBreach.objects.all()
    assert breach.review_id == decided["food"].pk
    assert breach.late_seconds == pytest.approx(6 * 3600)


def test_refresh_twice_leaves_the_same_rows(decided):
    before = list(
        ServiceLevelDaily.objects.values_list("day", "agency_id", "decided", "within").order_by("pk")
    )
    today = timezone.localdate()
    service_levels.service_level_refresh(first=today - timedelta(days=3), last=today)
    after = list(
        ServiceLevelDaily.objects.values_list("day", "agency_id", "decided", "within").order_by("pk")
    )
    assert sorted(before) == sorted(after)
    assert ServiceLevelBreach.objects.count() == 1


def test_open_review_past_due_counts_as_open_overdue(decided, agencies):
    AgencyReview.objects.filter(
        pk=decided["plant"].declaration.reviews.get(agency__code="standards").pk
    ).update(due_at=timezone.now() - timedelta(hours=1))
    assert levels_by_code(agencies.values())["standards"].open_overdue == 1


def test_supervisor_sees_every_agency_and_the_breach(client, supervisor, decided):
    client.force_login(supervisor)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Plant Health Inspectorate", "Food Safety Authority", "Bureau of Standards"):
        assert name in html
    assert decided["food"].declaration.mrn in html
    assert "6 h 00 min" in html  # late by
    assert 'role="img"' in html and "Reviews decided within the service level" in html


def test_officer_sees_only_its_own_agency_and_its_breaches(client, plant_officer, decided):
    client.force_login(plant_officer)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Plant Health Inspectorate" in html
    assert "Food Safety Authority" not in html
    assert decided["food"].declaration.mrn not in html  # the food agency's breach
    # Asking for another agency's figures shows nothing of it.
    response = client.get(URL, {"agency": "food-safety"})
    assert "Food Safety Authority" not in response.content.decode()
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"{URL}breaches.csv", {"agency": "food-safety"}).getvalue().decode())
        )
    )
    assert len(rows) == 1  # the header only


@pytest.mark.parametrize("persona", ["importer", "broker", "outsider", "cashier", "officer_of_nothing"])
def test_traders_cashiers_and_officers_of_no_agency_get_404(client, decided, persona, request):
    if persona == "cashier":
        user = UserFactory(username="cashier", role="cashier")
    elif persona == "officer_of_nothing":
        user = UserFactory(username="lonely_officer", role="officer")
    else:
        user = request.getfixturevalue(persona)
    client.force_login(user)
    for url in (URL, f"{URL}agencies.csv", f"{URL}breaches.csv"):
        assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, decided):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_breaches_csv_lists_every_breach_of_the_period(client, supervisor, decided):
    client.force_login(supervisor)
    response = client.get(f"{URL}breaches.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[0][:2] == ["Agency", "MRN"]
    assert rows[1][0] == "Food Safety Authority"
    assert rows[1][1] == decided["food"].declaration.mrn
    assert rows[1][4] == "21600"
    agencies_csv = client.get(f"{URL}agencies.csv").getvalue().decode("utf-8-sig")
    assert "Plant Health Inspectorate,24,1,1,100.0" in agencies_csv
    assert client.get(f"{URL}nothing.csv").status_code == 404


def test_service_level_page_queries_stay_fixed(client, supervisor, decided, django_assert_max_num_queries):
    client.force_login(supervisor)
    client.get(URL)
    with django_assert_max_num_queries(12):
        assert client.get(URL).status_code == 200


def test_refresh_command_rebuilds_the_days_since_the_one_given(decided):
    from io import StringIO

    from django.core.management import call_command

    ServiceLevelDaily.objects.all().delete()
    ServiceLevelBreach.objects.all().delete()
    out = StringIO()
    since = (timezone.localdate() - timedelta(days=5)).isoformat()
    call_command("insights_service_levels_refresh", "--since", since, stdout=out)
    assert out.getvalue().startswith("2 decided reviews counted")
    assert ServiceLevelBreach.objects.count() == 1


@pytest.mark.fullstack
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_both_finish_with_one_set_of_rows(routed, plant_officer):
    from tests.concurrency import run_together

    now = timezone.now()
    AgencyReview.objects.filter(declaration=routed).update(
        status=ReviewStatus.APPROVED,
        decided_by=plant_officer,
        decided_at=now,
        due_at=now - timedelta(hours=1),
    )
    today = timezone.localdate()
    results, failures = run_together(
        [lambda: service_levels.service_level_refresh(first=today, last=today) for _ in range(3)]
    )
    assert failures == []
    assert results == [3, 3, 3]
    assert ServiceLevelDaily.objects.count() == 3  # one row per agency and day
    assert ServiceLevelBreach.objects.count() == 3
