"""Account-based processing in the browser: a trader's account page with its ledger, chart and CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from payments import facilities
from payments.facilities import declaration_secure
from payments.models import FacilityKind
from payments.statements import Period, statement_generate
from tests.payments.facilities_support import charged, facility
from tests.payments.facilities_support import lodged as support_lodged
from tests.payments.ledger_data import charge, charge_on, lodged, pay_on

from .conftest import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser]


def test_trader_opens_its_account_sees_the_ledger_and_chart_and_downloads_the_csv(
    page: Page, importer, importer_account, customs, password, screenshot, monkeypatch
):
    today = timezone.localdate()
    declaration = lodged(importer)
    charge(
        declaration,
        {"A00": "27.00", "B00": "205.40"},
        memo="Duties and VAT",
        due_on=today + timedelta(days=14),
    )
    for months_ago in range(1, 6):
        day = today - timedelta(days=30 * months_ago)
        charge_on(importer_account, f"{months_ago * 150}.00", on=day, code="A00", memo="Customs duty")
        pay_on(importer_account, f"{months_ago * 120}.00", on=day + timedelta(days=3), memo="Bank transfer")

    # A deferment account with last month's statement, and a guarantee.
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: {"E"})
    deferment = facility(
        importer_account, kind=FacilityKind.DEFERMENT, reference="DAN1234567", limit="5000.00"
    )
    facility(importer_account, kind=FacilityKind.GUARANTEE, reference="GUA7654321", limit="2000.00")
    last_month = today.replace(day=1) - timedelta(days=1)
    with time_machine.travel(last_month.replace(day=10), tick=False):
        deferred = charged(support_lodged(importer), "300.00")
        assert declaration_secure(declaration=deferred, amount=Decimal("300.00")).secured
    assert statement_generate(facility=deferment, period=Period.month(last_month.year, last_month.month))

    sign_in(page, "importer", password)
    page.get_by_role("link", name="Clippers Import Ltd").first.click()
    expect(page.get_by_role("heading", name="Clippers Import Ltd", level=1)).to_be_visible()
    expect(page.locator(".balance")).to_have_text("982.40 GBP owed")
    ledger = page.get_by_role("table", name="12 entries, newest first")
    expect(ledger).to_be_visible()
    expect(ledger.get_by_role("link", name=declaration.mrn)).to_be_visible()
    chart = page.get_by_role("img", name="Charges and payments, last 12 months")
    expect(chart).to_be_visible()
    expect(page.get_by_role("table", name="Per month, in GBP")).to_be_visible()
    expect(page.get_by_role("meter", name="Use of DAN1234567")).to_have_attribute("value", "6")
    expect(page.get_by_role("link", name=last_month.strftime("%B %Y"))).to_be_visible()
    screenshot("trader-account-01-page")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the ledger (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"ledger-{importer_account.eori}-")
    body = download.path().read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Date", "Due", "Kind"] and len(rows) == 13
    assert rows[1][4] == "Duties and VAT" and rows[1][5] == "232.40"

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(chart).to_be_visible()
    # Nothing wider than the screen but the tables, which scroll inside their own frame.
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    screenshot("trader-account-02-narrow")
    for section in ("chart", "ledger"):  # what a phone shows of each, at its own size
        page.locator(f"#{section}").scroll_into_view_if_needed()
        page.locator(f"#{section}").evaluate("e => e.scrollIntoView()")
        page.screenshot(path=str(SCREENSHOTS / f"trader-account-03-narrow-{section}.png"))


def test_a_cashier_reads_revenue_and_opens_a_debtors_account(
    page: Page, importer_account, password, screenshot
):
    from payments.models import LedgerAccountKind
    from tests.factories import TraderAccountFactory, UserFactory

    UserFactory(username="cashier", role="cashier")
    today = timezone.localdate()
    other = TraderAccountFactory(eori="GB777777777777", name="Harbour Fruit Ltd")
    for days_ago in range(0, 28, 3):
        day = today - timedelta(days=days_ago)
        charge_on(
            importer_account, f"{100 + days_ago * 7}.00", on=day, code="A00", due_on=day + timedelta(days=7)
        )
        charge_on(importer_account, f"{40 + days_ago}.00", on=day, code="B00", due_on=day + timedelta(days=7))
        charge_on(other, "12.50", on=day, code="FEE:plant-health", due_on=day + timedelta(days=7))
        pay_on(importer_account, "90.00", on=day)
        pay_on(other, "10.00", on=day, method=LedgerAccountKind.PROVIDER, code="testpay")

    sign_in(page, "cashier", password)
    page.get_by_role("link", name="Revenue").click()
    expect(page.get_by_role("heading", name="Revenue", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="Revenue collected per day")).to_be_visible()
    expect(page.get_by_role("table", name="Revenue per day and tax type")).to_be_visible()
    expect(page.get_by_role("table", name="Money received per day and method")).to_be_visible()
    screenshot("revenue-01-page")
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    page.locator("#revenue").evaluate("e => e.scrollIntoView()")
    page.screenshot(path=str(SCREENSHOTS / "revenue-03-narrow.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download revenue (CSV)").click()
    assert download_info.value.suggested_filename.startswith("revenue-")

    page.get_by_role("link", name="Harbour Fruit Ltd").click()
    expect(page.get_by_role("heading", name="Harbour Fruit Ltd", level=1)).to_be_visible()
    screenshot("revenue-02-debtor-account")
