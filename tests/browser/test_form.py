"""The declaration form as traders use it: code pickers by keyboard, nothing cut, edits kept."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import sign_in

pytestmark = [pytest.mark.browser]


def test_document_code_is_picked_by_keyboard(page: Page, importer, password, screenshot):
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    field = page.locator("#goods-item-1").get_by_label("Document 1 type")
    field.focus()
    page.keyboard.type("n93")

    suggestions = page.get_by_role("listbox", name="Suggestions")
    expect(suggestions).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    expect(suggestions.get_by_role("option").first).to_contain_text("N93")
    screenshot("form-picker-open")
    page.keyboard.press("ArrowDown")
    first = suggestions.get_by_role("option").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", first.get_attribute("id") or "")
    chosen = (first.locator(".picker__code").text_content() or "").strip()
    page.keyboard.press("Enter")

    expect(field).to_have_value(chosen)
    expect(field).to_have_attribute("aria-expanded", "false")
    # The name of the chosen code is read with the field.
    expect(field).to_have_attribute("aria-describedby", re.compile(r"\bid_items-0-doc_1_code_name\b"))
    expect(suggestions).to_be_hidden()
    # Enter chose the suggestion; it did not submit the form.
    assert page.url.endswith("/declarations/new/")


def test_typing_past_a_suggestion_chooses_nothing(page: Page, importer, password):
    """Tab leaves the field with what was typed: no suggestion is taken for the trader."""
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    field = page.locator("#goods-item-1").get_by_label("Document 1 type")
    field.focus()
    page.keyboard.type("N9")
    expect(page.get_by_role("listbox", name="Suggestions")).to_be_visible()
    page.keyboard.press("Tab")

    expect(field).to_have_value("N9")
    expect(page.get_by_role("listbox", name="Suggestions")).to_be_hidden()


def test_escape_closes_the_suggestions_then_empties_the_field(page: Page, importer, password):
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    field = page.locator("#goods-item-1").get_by_label("Document 1 type")
    field.focus()
    page.keyboard.type("N9")
    # The suggestions open once the code list has arrived; the first Escape is meant to close them.
    suggestions = page.get_by_role("listbox", name="Suggestions")
    expect(suggestions).to_be_visible()
    page.keyboard.press("Escape")
    expect(suggestions).to_be_hidden()
    expect(field).to_have_value("N9")
    page.keyboard.press("Escape")
    expect(field).to_have_value("")


def test_a_goods_item_is_removed_and_the_others_keep_their_input(page: Page, importer, password, screenshot):
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    page.locator("#goods-item-1").get_by_label("Description of goods").fill("First")
    page.get_by_role("button", name="Add another goods item").click()
    page.locator("#goods-item-2").get_by_label("Description of goods").fill("Second")
    page.get_by_role("button", name="Add another goods item").click()
    page.locator("#goods-item-3").get_by_label("Description of goods").fill("Third")
    screenshot("form-three-items")

    page.get_by_role("button", name="Remove goods item 2").click()

    expect(page.get_by_role("status").filter(has_text="Goods item 2 removed.")).to_be_visible()
    expect(page.locator("#goods-item-3")).to_have_count(0)
    expect(page.locator("#goods-item-1").get_by_label("Description of goods")).to_have_value("First")
    second = page.locator("#goods-item-2").get_by_label("Description of goods")
    expect(second).to_have_value("Third")
    # The cursor is in the item that took the removed one's place.
    expect(second).to_be_focused()
    screenshot("form-item-removed")


def test_every_error_is_listed_at_once_and_every_edit_is_kept(page: Page, importer, password, screenshot):
    """One submit: format errors, a required field and the rules' own findings, all in one summary;
    whatever was typed, right or wrong, is still in its field."""
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    page.get_by_label("Local reference number (LRN)").fill("BROWSER-ALL")
    page.get_by_label("Importer or exporter EORI").fill("GB553202734852")
    page.get_by_label("Total amount invoiced").fill("lots")
    page.get_by_label("Invoice currency").fill("GBP")
    item = page.locator("#goods-item-1")
    item.get_by_label("Description of goods").fill("Mystery goods")
    item.get_by_label("Commodity code").fill("99999999")
    item.get_by_label("Net mass (kg)").fill("heavy")
    item.get_by_label("Document 1 type").fill("N9355")
    item.get_by_label("Document 1 reference").fill("INV-9")
    page.get_by_role("button", name="Submit declaration").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    for text in (
        "Declaration type: This field is required.",
        "Total amount invoiced: Enter a number",
        "Goods item 1, Net mass (kg): Enter a number",
        "Goods item 1, Document 1 type: Enter the document type as four letters or digits",
        "99999999",  # the rules' finding on the commodity code, in the same round
    ):
        expect(summary).to_contain_text(text)
    expect(page.get_by_label("Local reference number (LRN)")).to_have_value("BROWSER-ALL")
    expect(page.get_by_label("Total amount invoiced")).to_have_value("lots")
    expect(item.get_by_label("Net mass (kg)")).to_have_value("heavy")
    expect(item.get_by_label("Document 1 type")).to_have_value("N9355")
    expect(item.get_by_label("Document 1 reference")).to_have_value("INV-9")
    expect(item.get_by_label("Commodity code")).to_have_value("99999999")
    screenshot("form-every-error")


def test_a_draft_is_deleted_after_confirming(page: Page, importer, password, screenshot):
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    page.get_by_label("Local reference number (LRN)").fill("BROWSER-BIN")
    page.get_by_role("button", name="Save as draft", exact=True).last.click()
    expect(page.get_by_role("status").first).to_contain_text("Draft saved.")

    page.get_by_role("link", name="Delete draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this draft?")
    screenshot("draft-delete-confirm")
    page.get_by_role("button", name="Delete draft").click()

    expect(page.get_by_role("status").first).to_contain_text("Draft deleted.")
    expect(page.get_by_text("BROWSER-BIN")).to_have_count(0)


def test_an_item_added_in_the_page_has_working_pickers(page: Page, importer, password):
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    page.get_by_role("button", name="Add another goods item").click()
    field = page.locator("#goods-item-2").get_by_label("Document 1 type")
    field.focus()
    page.keyboard.type("C50")
    expect(field).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(field).to_have_value(re.compile(r"^C50\w$"))
