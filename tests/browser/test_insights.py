"""A supervisor reads the Time Release Study in a real browser, on a desktop and a 390 px phone:
the overview's stages, where the time goes and the trend; a lane filter; a bad period; the
agencies' tab; the public open data."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD
from tests.insights.time_release_data import facts_make

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def test_supervisor_reads_the_time_release_study(page: Page, screenshot, supervisor, agencies):
    rng = random.Random(11)
    today = timezone.localdate()
    # Thirteen weeks of releases: green in hours, yellow in a day or so, red in days; slower lately.
    for lane, scale in (("green", 3 * 3600), ("yellow", 20 * 3600), ("red", 60 * 3600)):
        facts_make(
            [
                (today - timedelta(days=d), int(rng.lognormvariate(0, 0.6) * scale * (1.3 if d < 30 else 1)))
                for d in range(0, 91, 2)
            ],
            lane=lane,
            agencies=[agencies["customs"], agencies["plant-health"]]
            if lane != "green"
            else [agencies["customs"]],
            seed=len(lane),
        )
    sign_in(page, "supervisor", PASSWORD)
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Time Release Study", level=1)).to_be_visible()
    expect(page.locator("#table-stages")).to_contain_text("Lodgement to release")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    screenshot("insights-overview-desktop")
    page.set_viewport_size(PHONE)
    screenshot("insights-overview-phone")
    page.set_viewport_size(DESKTOP)

    page.get_by_label("Lane", exact=True).select_option("red")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#table-where tbody tr")).to_have_count(2)  # all (red), and red

    page.get_by_label("Released from").fill("2026-03-10")
    page.get_by_label("Released to").fill("2026-03-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".error-summary")).to_contain_text("The end date must be the same as or after")

    page.get_by_role("link", name="By Agency").click()
    expect(page.locator("#table-reviews")).to_contain_text("Plant Health Inspectorate")
    screenshot("insights-agency-desktop")
    page.set_viewport_size(PHONE)
    screenshot("insights-agency-phone")

    page.goto("/insights/open-data/")
    expect(page.get_by_role("heading", name="Open data: average release times")).to_be_visible()
    screenshot("insights-open-data-phone")
