"""Post-clearance audit in the browser: a supervisor opens an audit of a released declaration,
records a finding on its goods item and concludes with an additional assessment; the trader sees
the outcome on the declaration page (not why it was selected) and the new charge on its account.
Screenshots at desktop width and at 390 px (a phone)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from clearance.models import AuditCriterion, AuditSettings, AuditStatus, PostClearanceAudit
from declarations.models import Status
from payments.ledger import trader_balance
from payments.models import Facility, FacilityKind

from .conftest import sign_in
from .test_release_money import _lodged, automatic_agencies_and_tariff  # noqa: F401

pytestmark = [pytest.mark.browser]


def test_supervisor_audits_a_released_declaration_and_the_trader_sees_the_outcome_and_the_charge(
    page: Page,
    importer,
    importer_account,
    supervisor,
    automatic_agencies_and_tariff,  # noqa: F811 - the fixture imported above
    password,
    screenshot,
):
    Facility.objects.create(
        trader_account=importer_account,
        kind=FacilityKind.GUARANTEE,
        reference="GB-GUAR-AUDIT",
        limit=Decimal("50000"),
        currency="GBP",
        valid_from=date(2020, 1, 1),
    )
    declaration = _lodged(importer, "BROWSER-AUDIT")
    assert declaration.status == Status.RELEASED
    owed_before = trader_balance(importer_account)

    sign_in(page, "supervisor", password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audits").click()
    expect(page.get_by_role("heading", name="Post-clearance audits")).to_be_visible()
    page.get_by_label("MRN of a released declaration").fill(declaration.mrn)
    page.get_by_label("Why it is audited").fill("Shaver parts: invoice values vary widely")
    page.get_by_role("button", name="Open the audit").click()

    expect(page.get_by_role("heading", name=declaration.mrn)).to_be_visible()
    expect(page.get_by_text("Shaver parts: invoice values vary widely")).to_be_visible()
    page.get_by_label("Goods item").select_option("1")
    page.get_by_label("What was found").select_option("valuation")
    page.get_by_label("Corrected value").fill("1400.00")
    page.get_by_label("Finding", exact=True).fill("The sales contract shows 1,400.00, not 1,000.00.")
    page.get_by_role("button", name="Record the finding").click()
    expect(page.get_by_text("The sales contract shows 1,400.00")).to_be_visible()

    page.get_by_label("Additional assessment").check()
    page.get_by_label("Amount").fill("96.00")
    page.get_by_label("Duty or tax").select_option("A00")
    page.get_by_label("Reason, as the trader will read it").fill(
        "Customs value corrected to the sales contract: duty and VAT on 400.00 more."
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot("audit-01-case-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("audit-02-case-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Conclude the audit").click()
    expect(page.get_by_text("Audit concluded; the trader has been told.")).to_be_visible()

    audit = PostClearanceAudit.objects.get(declaration=declaration)
    assert audit.status == AuditStatus.CONCLUDED and audit.amount == Decimal("96.00")
    assert trader_balance(importer_account) == owed_before + Decimal("96.00")

    page.goto("/clearance/audits/")
    screenshot("audit-03-list-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("audit-04-list-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.context.clear_cookies()
    sign_in(page, "importer", password)
    page.goto(f"/declarations/{declaration.mrn}/")
    panel = page.get_by_role("region", name="Post-clearance audit")
    expect(panel).to_contain_text("Additional assessment")
    expect(panel).to_contain_text("96.00")
    expect(panel).to_contain_text("Customs value corrected to the sales contract")
    expect(panel).not_to_contain_text("invoice values vary widely")
    panel.scroll_into_view_if_needed()
    screenshot("audit-05-trader-panel-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("audit-06-trader-panel-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"/accounts/{importer_account.pk}/")
    expect(page.get_by_text(f"Post-clearance audit of declaration {declaration.mrn}").first).to_be_visible()
    screenshot("audit-07-trader-account")


def test_supervisor_adds_an_audit_criterion_and_sets_the_random_share(
    page: Page, supervisor, password, screenshot
):
    sign_in(page, "supervisor", password)
    page.goto("/clearance/audits/")
    page.get_by_role("link", name="Selection criteria and random share").click()
    expect(page.get_by_role("heading", name="Audit selection")).to_be_visible()
    page.get_by_role("link", name="Add a criterion").click()
    page.get_by_label("Name").fill("Tea from Sri Lanka above 20,000")
    page.get_by_label("Reason shown to auditors").fill("tea of heading 0902 from LK has been undervalued")
    page.get_by_label("HS code prefix").fill("0902")
    page.get_by_label("Country of origin").fill("LK")
    page.get_by_label("Declared value at least").fill("20000")
    screenshot("audit-08-criterion-form-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("audit-09-criterion-form-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Save the criterion").click()
    expect(page.get_by_text("Criterion “Tea from Sri Lanka above 20,000” saved.")).to_be_visible()
    page.get_by_label("Share of released declarations audited at random (%)").fill("2.5")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_text("Audit selection settings saved")).to_be_visible()
    expect(page.get_by_role("link", name="Tea from Sri Lanka above 20,000")).to_be_visible()
    screenshot("audit-10-criteria-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("audit-11-criteria-390")
    assert AuditSettings.objects.get().random_share == Decimal("2.5")
    criterion = AuditCriterion.objects.get()
    assert (criterion.hs_prefix, criterion.origin_country, criterion.min_value) == (
        "0902",
        "LK",
        Decimal("20000"),
    )
