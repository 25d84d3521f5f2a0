"""A customs supervisor writes a risk rule in the browser, dry-runs it, saves it; a matching
declaration then goes to the red lane, and the trader reads the lane in plain words.

Screenshots (desktop and a 390 px phone) go to test-artifacts/screenshots.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clearance.models import Lane, RiskRule
from declarations.models import Declaration

from ..agencies.fixtures import ROSES, SHAVER_PARTS, item, lodge, payload_with
from .conftest import sign_in

pytestmark = [pytest.mark.browser]


def _no_capture(execute: bool = False) -> contextlib.AbstractContextManager[Any]:
    return contextlib.nullcontext()


def lodge_now(user: Any, *items: dict[str, Any], lrn: str) -> Declaration:
    return lodge(user, payload_with(*items, lrn=lrn), _no_capture)


def test_supervisor_writes_dry_runs_and_saves_a_rule_that_sends_a_declaration_red(
    page: Page, importer, supervisor, agencies, password, screenshot
):
    past = lodge_now(importer, item(1, ROSES, origin="CO"), lrn="BR-RISK-PAST")
    lodge_now(importer, item(1, SHAVER_PARTS), lrn="BR-RISK-OTHER")
    sign_in(page, "supervisor", password)
    page.get_by_role("link", name="Risk rules").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Risk rules")
    page.get_by_role("link", name="Add a rule").click()

    page.get_by_label("Name").fill("Roses from Colombia")
    page.get_by_label("Reason shown to officers").fill("plants of chapter 06 from a high-risk origin")
    page.get_by_label("Weight").fill("70")
    page.get_by_label("HS code prefix").fill("06")
    page.get_by_label("Country of origin").fill("co")
    page.get_by_label("Valid from").fill("2020-01-01")
    screenshot("60-risk-rule-form")
    page.get_by_role("button", name="Dry run with these values").click()
    expect(page.get_by_text("Would have hit 1 declaration")).to_be_visible()
    expect(page.get_by_role("link", name=past.mrn)).to_be_visible()
    screenshot("61-risk-dry-run")
    assert not RiskRule.objects.exists()  # the dry run saved nothing

    page.go_back()
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Roses from Colombia")
    assert RiskRule.objects.get().origin_country == "CO"

    red = lodge_now(importer, item(1, ROSES, origin="CO"), lrn="BR-RISK-RED")
    assert red.risk.lane == Lane.RED
    page.goto(f"/clearance/declarations/{red.mrn}/")
    expect(page.get_by_text("Score 70")).to_be_visible()
    screenshot("62-risk-supervisor-declaration")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("63-risk-supervisor-declaration-phone")
    page.goto("/clearance/risk/rules/")
    screenshot("64-risk-rules-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot("65-risk-rules")
    page.goto("/clearance/risk/settings/")
    screenshot("66-risk-settings")

    page.context.clear_cookies()
    sign_in(page, "importer", password)
    page.goto(f"/declarations/{red.mrn}/")
    expect(page.get_by_text("Physical inspection")).to_be_visible()
    expect(page.get_by_text("Roses from Colombia")).to_have_count(0)
    screenshot("67-risk-trader-declaration")
