"""Risk management from the rule to the release, in a real headless Chromium: a supervisor adds a
rule and dry-runs it over past declarations, the next matching declaration goes red, the joint
inspection is scheduled, the customs officer records compliant findings on a 390 px phone, and the
goods are released.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from agencies.models import Agency
from clearance.models import ControlKind, ControlTask, Lane, RiskAssessment, RiskRule
from declarations.models import Declaration, Status

from ..agencies.fixtures import client_for, customs, customs_officer, item, payload_with  # noqa: F401
from ..clearance.inspections.conftest import TEA
from .conftest import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser]


def lodge_tea(importer, lrn: str) -> Declaration:
    """Lodged over the API and routed in-process (the embedded pipeline), as a trader's system does."""
    response = client_for(importer).post(
        "/api/v1/declarations", payload_with(item(1, TEA), lrn=lrn), format="json"
    )
    assert response.status_code == 201, response.json()
    return Declaration.objects.get(mrn=response.json()["mrn"])


def test_supervisor_rule_dry_run_red_lane_joint_inspection_from_a_phone_release(
    page: Page,
    browser: Browser,
    live_server,
    importer,
    supervisor,
    customs_officer,  # noqa: F811 - the fixture
    password,
    screenshot,
):
    Agency.objects.filter(is_customs=True).update(auto_decide=True)
    earlier = lodge_tea(importer, "RF-PAST-1")
    earlier.refresh_from_db()
    assert earlier.status == Status.RELEASED  # no rule yet: green, released on the data

    # The supervisor writes the rule, then dry-runs it over the past declarations.
    sign_in(page, "supervisor", password)
    page.get_by_role("link", name="Risk rules", exact=True).click()
    page.get_by_role("link", name="Add a rule").click()
    page.get_by_label("Name", exact=True).fill("Tea under watch")
    page.get_by_label("Reason shown to officers").fill("tea of heading 0902: mislabelled origins this year")
    page.get_by_label("Weight").fill("90")
    page.get_by_label("HS code prefix").fill("0902")
    page.get_by_label("Valid from").fill(timezone.localdate().isoformat())
    screenshot("80-risk-rule-form")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("status").first).to_contain_text("Tea under watch")
    rule = RiskRule.objects.get(name="Tea under watch")
    page.get_by_role("link", name="Dry run of the saved rule").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tea under watch")
    expect(page.get_by_role("main")).to_contain_text("Would have hit 1 declaration")
    expect(page.get_by_role("link", name=earlier.mrn)).to_be_visible()
    screenshot("81-risk-rule-dry-run")
    assert not RiskAssessment.objects.filter(
        declaration=earlier, reasons__contains=[{"rule": rule.pk}]
    ).exists()

    # The next tea declaration is scored red by the rule and waits for its inspection.
    declaration = lodge_tea(importer, "RF-RED-1")
    declaration.refresh_from_db()
    assert declaration.status == Status.IN_REVIEW
    assert declaration.risk.lane == Lane.RED
    assert ControlTask.objects.get(declaration=declaration).kind == ControlKind.PHYSICAL

    page.goto(f"/clearance/declarations/{declaration.mrn}/")
    expect(page.get_by_role("main")).to_contain_text("Tea under watch")
    page.get_by_role("link", name="Inspections", exact=True).click()
    page.get_by_role("link", name=declaration.mrn).click()
    when = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=10, minute=0)
    page.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Place").fill("Berth 7, shed C")
    page.get_by_label("What to present").fill("Invoice and certificate of origin; container opened.")
    page.get_by_role("button", name="Schedule and tell the trader").click()
    expect(page.get_by_role("status").first).to_contain_text("Inspection scheduled")
    screenshot("82-risk-inspection-scheduled")
    page.get_by_role("button", name="Sign out").click()

    # The trader sees the lane and where to be, never the rule.
    sign_in(page, "importer", password)
    page.goto(f"/declarations/{declaration.mrn}/")
    expect(page.locator(".inspection-panel")).to_contain_text("Berth 7, shed C")
    expect(page.get_by_role("main")).not_to_contain_text("Tea under watch")
    expect(page.get_by_role("main")).not_to_contain_text("mislabelled")
    screenshot("83-risk-trader-red-lane")
    page.get_by_role("button", name="Sign out").click()

    phone_context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    phone_context.set_default_timeout(10_000)
    phone = phone_context.new_page()
    try:
        sign_in(phone, "customs_officer", password)
        phone.goto("/clearance/inspections/")
        phone.get_by_role("link", name=declaration.mrn).click()
        phone.get_by_label("Compliant", exact=True).check()
        phone.get_by_role("textbox", name="Findings").fill("Origin marks match the certificate.")
        phone.get_by_role("button", name="Record findings").click()
        expect(phone.get_by_role("status").first).to_contain_text("Findings recorded")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        phone.screenshot(path=str(SCREENSHOTS / "84-risk-phone-findings.png"), full_page=True)
    finally:
        phone_context.close()

    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    rule_hits = RiskAssessment.objects.get(declaration=declaration).hits.get(rule=rule)
    assert rule_hits.outcome == "compliant"
