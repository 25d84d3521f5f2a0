"""The declaration form as traders use it: code pickers by keyboard, nothing cut, edits kept."""

from __future__ import annotations

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
    page.keyboard.press("Escape")
    expect(page.get_by_role("listbox", name="Suggestions")).to_be_hidden()
    expect(field).to_have_value("N9")
    page.keyboard.press("Escape")
    expect(field).to_have_value("")
