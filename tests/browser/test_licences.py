"""An officer registers a licence in a real headless Chromium; a declaration naming it is approved
for the agency automatically and the licence page shows the write-off. Desktop and a 390 px phone."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from agencies.models import Licence, ReviewStatus
from tests.conftest import IMPORTER_EORI

from ..agencies.fixtures import item, lodge, payload_with, review_of
from .conftest import sign_in

pytestmark = [pytest.mark.browser]


def _no_capture(execute: bool = False) -> contextlib.AbstractContextManager[Any]:
    return contextlib.nullcontext()  # outside a test transaction on_commit runs at once


def test_officer_registers_a_licence_and_a_declaration_using_it_is_approved_and_written_off(
    page: Page,
    importer,
    licensing_officer,
    password,
    screenshot,  # noqa: F811
):
    sign_in(page, "licensing_officer", password)
    page.get_by_role("link", name="Licences", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Licences and permits")
    page.get_by_role("link", name="Register a licence").click()

    # Nothing filled in: the summary lists the fields and takes the focus.
    page.get_by_role("button", name="Register licence").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Licence number")).to_have_attribute("aria-invalid", "true")
    screenshot("60-licence-register-errors")

    page.get_by_label("Document code").fill("9100")
    page.get_by_label("Licence number").fill("GBOIL000002-0001")
    page.get_by_label("Holder EORI").fill(IMPORTER_EORI)
    page.get_by_label("Commodity codes covered").fill("2612")
    page.get_by_label("Quantity allowed").fill("500")
    page.get_by_label("Unit of the quantity").fill("KGM")
    page.get_by_label("Valid from").fill("2024-01-01")
    page.get_by_label("Valid until").fill("2099-12-31")
    page.get_by_role("button", name="Register licence").click()
    expect(page.get_by_role("status").first).to_contain_text("Licence GBOIL000002-0001 is on file.")
    licence = Licence.objects.get(number="GBOIL000002-0001")

    documents = [
        {
            "code": "9100",
            "reference": "GBOIL000002-0001",
            "status": "AC",
            "write_off_quantity": "120",
            "write_off_unit": "KGM",
        }
    ]
    declaration = lodge(
        importer, payload_with(item(1, "26121010", documents=documents), lrn="BR-LIC"), _no_capture
    )
    assert review_of(declaration, "import-licensing").status == ReviewStatus.AUTO_APPROVED

    page.goto(f"/agencies/licences/{licence.pk}/")
    history = page.get_by_role("table")
    expect(history).to_contain_text("Written off")
    expect(history).to_contain_text(declaration.mrn)
    expect(history).to_contain_text("380 KGM")
    screenshot("61-licence-detail")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("62-licence-detail-phone")
    page.goto("/agencies/licences/")
    expect(page.get_by_role("link", name="GBOIL000002-0001")).to_be_visible()
    screenshot("63-licences-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot("64-licences")
