"""A supervisor works the oversight pages in a real browser, on a desktop and a 390 px phone:
puts a party on the watchlist, removes it with a reason, authorises an AEO, reads the dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.clearance.oversight.data import known_data_set
from tests.factories import PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def test_supervisor_watchlist_aeo_and_dashboard(
    page: Page, screenshot, supervisor, importer_account, agencies
):
    known_data_set(supervisor, agencies["customs"])
    sign_in(page, "supervisor", PASSWORD)

    page.get_by_role("link", name="Watchlists").click()
    expect(page.get_by_role("heading", name="Watchlists", level=1)).to_be_visible()
    page.get_by_role("button", name="Add to the watchlist").click()  # nothing filled in
    expect(page.locator(".error-summary")).to_contain_text("Say why the party is on the watchlist.")
    page.get_by_label("EORI or party identifier").fill("GB553202734852")
    page.get_by_label("Why").fill("Undervalued footwear at three inspections")
    page.get_by_label("Valid until").fill("2030-06-30")
    page.get_by_role("button", name="Add to the watchlist").click()
    row = page.locator("table.watchlist tbody tr").first
    expect(row).to_contain_text("GB553202734852")
    expect(row).to_contain_text("Clippers Import Ltd")
    expect(row).to_contain_text("Customs and Excise")
    screenshot("oversight-watchlist-desktop")
    page.set_viewport_size(PHONE)
    screenshot("oversight-watchlist-phone")

    row.get_by_role("link", name="Remove").click()
    page.get_by_label("Why is it removed?").fill("Valuation ruling issued")
    screenshot("oversight-watchlist-remove-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Remove the entry").click()
    expect(page.get_by_text("No watchlist entries match.")).to_be_visible()
    page.get_by_label("Show").select_option("removed")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("table.watchlist")).to_contain_text("Valuation ruling issued")

    page.get_by_role("link", name="AEO register").click()
    page.get_by_label("Show").select_option("all")
    page.get_by_label("EORI, name or authorisation number").fill("GB553202734852")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("link", name="Authorise Clippers Import Ltd").click()
    page.get_by_label("AEO tier").select_option("AEOF")
    page.get_by_role("button", name="Save the authorisation").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter the authorisation number.")
    screenshot("oversight-aeo-edit-desktop")
    page.get_by_label("Authorisation number").fill("GBAEOF553202734852")
    page.get_by_label("Valid from").fill("2025-01-01")
    page.get_by_label("Valid until").fill("2026-12-31")
    page.get_by_role("button", name="Save the authorisation").click()
    expect(page.locator("table")).to_contain_text("GBAEOF553202734852")
    screenshot("oversight-aeo-desktop")
    page.set_viewport_size(PHONE)
    screenshot("oversight-aeo-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Risk dashboard").click()
    expect(page.locator("#rules-table")).to_contain_text("40.0 %")
    expect(page.locator("svg[role=img]")).to_have_count(4)
    screenshot("oversight-dashboard-desktop")
    page.set_viewport_size(PHONE)
    screenshot("oversight-dashboard-phone")
