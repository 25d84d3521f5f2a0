"""The balanced scorecard: each figure this period against the previous one, in words and arrows,
with its weekly sparkline; CSV; supervisors and administrators only; fixed queries."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import WebhookDelivery
from clearance.models import ControlTask
from clearance.oversight.selectors import Period
from insights import buckets
from insights import scorecard as card
from insights.models import StageDaily
from insights.scorecard_views import change_text
from support.models import SatisfactionRating, ServiceRequest
from tests.agencies.fixtures import review_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/insights/scorecard/"


def stage_day(day, stage, values, dimension="all", key=""):
    StageDaily.objects.create(
        day=day,
        stage=stage,
        dimension=dimension,
        key=key,
        count=len(values),
        sum_seconds=int(sum(values)),
        buckets=buckets.histogram(values),
    )


@pytest.fixture
def figures(routed, agencies, importer, supervisor):
    """This period (the last 90 days): clearance in 1 h and 2 h, two lane controls (one found
    non-compliant), a service request answered on time, one late and one withdrawn, a rating of 4, a failed
    webhook delivery. The previous period: clearance in 4 h, one compliant control."""
    now = timezone.now()
    today = timezone.localdate()
    stage_day(today - timedelta(days=1), "total", [3600, 7200])
    stage_day(today - timedelta(days=100), "total", [4 * 3600])
    stage_day(today - timedelta(days=1), "routing", [2.0, 3.0])
    stage_day(today - timedelta(days=1), "routing", [2.0, 3.0], dimension="type", key="IMA")
    customs = agencies["customs"]
    ControlTask.objects.create(
        declaration=routed,
        kind="documentary",
        agency=customs,
        status="done",
        outcome="compliant",
        completed_at=now - timedelta(days=1),
    )
    ControlTask.objects.create(
        declaration=routed,
        kind="physical",
        agency=customs,
        status="done",
        outcome="non_compliant",
        completed_at=now - timedelta(days=2),
    )
    plant = review_of(routed, "plant-health")
    ControlTask.objects.create(
        declaration=routed,
        kind="physical",
        agency=plant.agency,
        review=plant,
        status="done",
        outcome="compliant",
        completed_at=now - timedelta(days=100),
    )
    for hours_late in (-1, 3):
        ServiceRequest.objects.create(
            opened_by=importer,
            category="declaration",
            subject="Help",
            status="answered",
            created_at=now - timedelta(days=3),
            due_at=now - timedelta(days=2),
            first_response_at=now - timedelta(days=2) + timedelta(hours=hours_late),
        )
    # Withdrawn by the trader before it was due: no answer was owed, it counts neither way.
    ServiceRequest.objects.create(
        opened_by=importer,
        category="declaration",
        subject="Never mind",
        status="closed",
        created_at=now - timedelta(days=3),
        due_at=now - timedelta(days=2),
        closed_at=now - timedelta(days=2, hours=12),
    )
    SatisfactionRating.objects.create(
        declaration=routed, user=importer, score=4, created_at=now - timedelta(days=1)
    )
    WebhookDelivery.objects.create(review=plant, agency=plant.agency, status="failed")
    return card.scorecard(Period.default())


def test_each_figure_of_the_period_against_the_previous_one(figures):
    clearance = figures.kpi("clearance_time")
    assert clearance.current < clearance.previous  # about 1.5 h against 4 h
    assert (clearance.direction, clearance.verdict) == ("down", "better")
    controls, hit_rate = figures.kpi("controls"), figures.kpi("hit_rate")
    assert (controls.current, controls.previous) == (2, 1)
    assert (hit_rate.current, hit_rate.previous) == (50.0, 0.0)
    assert (hit_rate.direction, hit_rate.verdict) == ("up", "better")
    assert figures.kpi("service_requests").current == 50.0
    assert figures.kpi("satisfaction").current == 4.0
    assert figures.kpi("failures").current == 1
    assert [r.declaration_type for r in figures.processing] == ["IMA"]
    assert len(figures.kpi("controls").weekly) == len(figures.weeks) == 13


def test_change_is_written_in_words_not_only_an_arrow_or_a_colour(figures):
    text = change_text(figures.kpi("clearance_time"), "GBP")
    # "Down 70 % from 3 h 40 min: better": the previous median is read from its histogram bucket.
    assert re.fullmatch(r"Down \d+ % from [34] h \d\d min: better", text), text
    assert change_text(figures.kpi("hit_rate"), "GBP") == "Up 50.0 points from 0.0 %: better"
    revenue = figures.kpi("revenue")
    assert change_text(revenue, "GBP") in ("Unchanged from the previous period (0 GBP)",)


def test_supervisor_sees_the_tiles_with_sparklines_and_the_tables(client, supervisor, figures):
    client.force_login(supervisor)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for label in (
        "Clearance time",
        "Revenue collected",
        "Hit rate of controls",
        "Joint inspections",
        "Service requests answered on time",
        "User satisfaction",
        "System processing time",
        "Failures",
    ):
        assert label in html
    assert html.count('class="sparkline"') == len(figures.kpis)
    assert "Down" in html and "better" in html
    assert "Webhook deliveries to agencies failed" in html


def test_scorecard_csv_has_every_figure(client, supervisor, figures):
    client.force_login(supervisor)
    response = client.get(f"{URL}figures.csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[0] == ["Figure", "Unit", "This period", "Previous period", "Change"]
    by_label = {r[0]: r for r in rows[1:]}
    assert by_label["Controls completed"][2:4] == ["2", "1"]
    assert by_label["Hit rate of controls"][2] == "50"


@pytest.mark.parametrize("persona", ["importer", "broker", "outsider", "plant_officer", "cashier"])
def test_scorecard_is_a_404_for_everyone_but_supervisors_and_administrators(
    client, figures, persona, request
):
    user = (
        UserFactory(username="cashier", role="cashier")
        if persona == "cashier"
        else request.getfixturevalue(persona)
    )
    client.force_login(user)
    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}figures.csv").status_code == 404


def test_administrator_sees_the_scorecard(client, figures):
    client.force_login(UserFactory(username="administrator", role="admin"))
    assert client.get(URL).status_code == 200


def test_scorecard_queries_stay_fixed(client, supervisor, figures, django_assert_max_num_queries):
    client.force_login(supervisor)
    client.get(URL)
    with django_assert_max_num_queries(16):
        assert client.get(URL).status_code == 200
