"""A trader declares an item's duties and taxes in the browser: each tax line a row of its own."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from declarations.models import Declaration, ItemTaxLine

from .conftest import sign_in
from .test_lodgement import fill_header, fill_item

pytestmark = [pytest.mark.browser]


def test_trader_declares_customs_duty_and_vat_for_an_item_and_adds_a_third_line(
    page: Page, importer, password, screenshot
):
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    fill_header(page, "BROWSER-TAX-1")
    fill_item(page, 1, description="Hair clippers", commodity_code="8510200000")
    item = page.locator("#goods-item-1")
    duties = item.get_by_role("group", name="Duties and taxes")
    duties.get_by_label("Preference").fill("100")
    duties.get_by_label("Valuation indicators").fill("0000")
    first = duties.get_by_role("group", name="Tax line 1")
    first.get_by_label("Tax type").fill("A00")
    first.get_by_label("Tax base amount").fill("750")
    first.get_by_label("Base currency").fill("GBP")
    first.get_by_label("Tax rate").fill("2")
    first.get_by_label("Payable tax").fill("15")
    first.get_by_label("Method of payment").fill("E")
    second = duties.get_by_role("group", name="Tax line 2")
    second.get_by_label("Tax type").fill("B00")
    second.get_by_label("Method of payment").fill("E")
    screenshot("duties-01-two-lines")

    # Without JavaScript the page comes back with a third row, what was typed kept.
    page.get_by_role("button", name="Add another tax line to goods item 1").click()
    third = page.locator("#goods-item-1").get_by_role("group", name="Tax line 3")
    expect(third.get_by_label("Tax type")).to_be_focused()
    expect(
        page.locator("#goods-item-1").get_by_role("group", name="Tax line 1").get_by_label("Tax type")
    ).to_have_value("A00")
    third.get_by_label("Tax type").fill("A30")
    third.get_by_label("Method of payment").fill("E")
    screenshot("duties-02-third-line")
    page.get_by_role("button", name="Submit declaration").click()

    declaration = Declaration.objects.get(lrn="BROWSER-TAX-1")
    expect(page.get_by_role("heading", level=1)).to_have_text(declaration.mrn)
    lines = ItemTaxLine.objects.filter(item__declaration=declaration).order_by("sequence")
    assert [(t.tax_type, t.method_of_payment) for t in lines] == [("A00", "E"), ("B00", "E"), ("A30", "E")]
    assert lines[0].payable_amount == Decimal(15)


def test_a_wrong_method_of_payment_is_shown_beside_its_field_and_in_the_summary(
    page: Page, importer, password, screenshot
):
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    fill_header(page, "BROWSER-TAX-2")
    fill_item(page, 1, description="Hair clippers", commodity_code="8510200000")
    line = page.locator("#goods-item-1").get_by_role("group", name="Tax line 1")
    line.get_by_label("Tax type").fill("A00")
    line.get_by_label("Method of payment").fill("9")
    page.get_by_role("button", name="Submit declaration").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Goods item 1, tax line 1: the method of payment 9 is not valid")
    summary.get_by_role("link", name="tax line 1: the method of payment").first.click()
    expect(line.get_by_label("Method of payment")).to_be_focused()
    screenshot("duties-03-error")
    assert not Declaration.objects.filter(lrn="BROWSER-TAX-2").exists()
