"""A supervisor reads the insights pages in a real browser, on a desktop and a 390 px phone: the
scorecard's tiles (change in words, sparklines), the service levels and the trade statistics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from agencies.models import AgencyReview, ReviewStatus
from clearance.models import ControlTask
from declarations.models import Declaration, Status
from insights import buckets, service_levels, statistics
from insights.models import StageDaily
from support.models import SatisfactionRating
from tests.agencies.fixtures import lodge, mixed_payload
from tests.factories import PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def figures(routed, agencies, importer, plant_officer) -> None:
    now, today = timezone.now(), timezone.localdate()
    for day, values in ((1, [3600, 7200, 5400]), (8, [9000]), (20, [4000, 8000]), (100, [14400])):
        StageDaily.objects.create(
            day=today - timedelta(days=day),
            stage="total",
            dimension="all",
            key="",
            count=len(values),
            sum_seconds=sum(values),
            buckets=buckets.histogram(values),
        )
    StageDaily.objects.create(
        day=today - timedelta(days=1),
        stage="routing",
        dimension="type",
        key="IMA",
        count=2,
        sum_seconds=5,
        buckets=buckets.histogram([2, 3]),
    )
    ControlTask.objects.create(
        declaration=routed,
        kind="documentary",
        agency=agencies["customs"],
        status="done",
        outcome="non_compliant",
        completed_at=now - timedelta(days=3),
    )
    SatisfactionRating.objects.create(declaration=routed, user=importer, score=5)
    plant = routed.reviews.get(agency__code="plant-health")
    AgencyReview.objects.filter(pk=plant.pk).update(
        status=ReviewStatus.APPROVED,
        decided_by=plant_officer,
        created_at=now - timedelta(hours=30),
        due_at=now - timedelta(hours=6),
        decided_at=now - timedelta(hours=1),
    )
    service_levels.service_level_refresh(first=today - timedelta(days=2), last=today)
    Declaration.objects.filter(pk=routed.pk).update(status=Status.RELEASED)
    statistics.trade_monthly_refresh(first=today, last=today)


def test_supervisor_reads_the_scorecard_service_levels_and_statistics(
    page: Page, screenshot, supervisor, agencies, importer, plant_officer, django_capture_on_commit_callbacks
):
    routed = lodge(importer, mixed_payload(), django_capture_on_commit_callbacks)
    figures(routed, agencies, importer, plant_officer)
    sign_in(page, "supervisor", PASSWORD)

    page.goto("/insights/scorecard/")
    expect(page.get_by_role("heading", name="Scorecard", level=1)).to_be_visible()
    tile = page.locator("#kpi-hit_rate")
    expect(tile).to_contain_text("100.0 %")
    expect(page.locator("#kpi-clearance_time")).to_contain_text("better")
    expect(page.locator("svg.sparkline")).to_have_count(9)
    screenshot("insights-scorecard-desktop")
    page.set_viewport_size(PHONE)
    screenshot("insights-scorecard-phone")
    page.set_viewport_size(DESKTOP)

    page.goto("/insights/service-levels/")
    expect(page.locator("#breaches-table")).to_contain_text(routed.mrn)
    expect(page.locator("#breaches-table")).to_contain_text("5 h 00 min")
    screenshot("insights-service-levels-desktop")
    page.set_viewport_size(PHONE)
    screenshot("insights-service-levels-phone")
    page.set_viewport_size(DESKTOP)

    page.goto("/insights/statistics/")
    expect(page.locator("#chapters-table")).to_contain_text("85")
    page.get_by_label("Country of origin").select_option("US")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#origins-table tbody tr")).to_have_count(1)
    screenshot("insights-statistics-desktop")
    page.set_viewport_size(PHONE)
    screenshot("insights-statistics-phone")
