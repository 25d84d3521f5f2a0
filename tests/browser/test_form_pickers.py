"""Country and currency pickers in the browser, with the keyboard and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import sign_in

pytestmark = [pytest.mark.browser]


def test_country_is_picked_by_its_name_with_the_keyboard(page: Page, importer, password, screenshot):
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    field = page.get_by_label("Country of destination")
    field.focus()
    page.keyboard.type("fran")

    suggestions = page.get_by_role("listbox", name="Suggestions")
    expect(suggestions.get_by_role("option").first).to_contain_text("FR")
    expect(page.get_by_role("status").filter(has_text="suggestion")).to_have_count(1)
    screenshot("form-country-picker")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")

    expect(field).to_have_value("FR")
    expect(page.locator("#id_destination_country_name")).to_contain_text("France")


def test_a_name_that_starts_with_what_was_typed_comes_before_one_that_only_contains_it(
    page: Page, importer, password
):
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    page.get_by_label("Country of destination").focus()
    page.keyboard.type("ger")
    # Germany before Switzerland ("… including the German territory of Busingen").
    expect(page.get_by_role("listbox", name="Suggestions").get_by_role("option").first).to_contain_text(
        "DE Germany"
    )


def test_without_javascript_a_country_name_is_refused_and_kept_as_typed(
    browser, live_server, importer, password
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    page.get_by_label("Country of destination").fill("France")
    page.locator("#goods-item-1").get_by_label("Country of origin").fill("China")
    page.get_by_role("button", name="Submit declaration").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("“FRANCE” is not a country code of the list. Did you mean FR (France")
    expect(summary).to_contain_text("CN (China")
    expect(page.get_by_label("Country of destination")).to_have_value("France")
    expect(page.locator("#goods-item-1").get_by_label("Country of origin")).to_have_value("China")
    context.close()


def test_french_numbers_are_accepted_and_shown_grouped(page: Page, importer, password):
    sign_in(page, "importer", password)
    page.locator("button[name=language][value=fr]").click()
    page.goto("/declarations/new/")
    amount = page.locator("#id_invoice_amount")
    amount.fill("1.234,5")
    page.locator("button[value=save_draft]").last.click()
    expect(amount).to_have_value("1.234,5")
    # The draft shown in English rewrites the number rather than misreading it.
    page.locator("button[name=language][value=en]").click()
    expect(page.locator("#id_invoice_amount")).to_have_value("1,234.5")
