"""A trader amends and cancels in the browser: the form prefilled, the difference shown, the reason kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from declarations.models import Declaration, DeclarationVersion, Status
from declarations.versions import label_for
from tests.agencies.fixtures import client_for, mixed_payload

from .conftest import sign_in

pytestmark = [pytest.mark.browser]


def _lodged(importer) -> Declaration:
    response = client_for(importer).post(
        "/api/v1/declarations", mixed_payload(lrn="BR-AMEND-1"), format="json"
    )
    assert response.status_code == 201, response.json()
    return Declaration.objects.get(mrn=response.json()["mrn"])


def test_trader_amends_a_net_mass_and_sees_what_changed(page: Page, importer, password, screenshot):
    declaration = _lodged(importer)
    sign_in(page, "importer", password)
    page.goto(f"/declarations/{declaration.mrn}/")
    page.get_by_role("link", name="Amend").click()
    item = page.locator("#goods-item-2")
    expect(item.get_by_label("Net mass (kg)")).to_have_value("100")  # prefilled with version 1
    item.get_by_label("Net mass (kg)").fill("90")
    page.get_by_label("Reason for the amendment (optional)").fill("Weighed again")
    screenshot("amend-01-form")
    page.get_by_role("button", name="Submit amendment").click()

    expect(page.get_by_text("Amended: version 2 is in force.")).to_be_visible()
    changes = page.locator("#version-changes + .table-wrap table")
    expect(changes).to_contain_text(label_for("items.2.net_mass"))
    expect(changes.locator("tbody tr")).to_have_count(1)  # nothing the form does not show was lost
    expect(changes).to_contain_text("100")
    expect(changes).to_contain_text("90")
    screenshot("amend-02-versions")
    version = DeclarationVersion.objects.get(declaration=declaration, number=2)
    assert (version.reason, version.channel, version.created_by) == ("Weighed again", "web_form", importer)


def test_an_unchanged_amendment_is_refused_with_the_reason_on_the_page(page: Page, importer, password):
    declaration = _lodged(importer)
    sign_in(page, "importer", password)
    page.goto(f"/declarations/{declaration.mrn}/amend/")
    page.get_by_role("button", name="Submit amendment").click()
    expect(page.get_by_role("alert")).to_contain_text("This amendment changes nothing")
    assert DeclarationVersion.objects.filter(declaration=declaration).count() == 1


def test_trader_cancels_with_a_reason(page: Page, importer, password, screenshot):
    declaration = _lodged(importer)
    sign_in(page, "importer", password)
    page.goto(f"/declarations/{declaration.mrn}/")
    page.get_by_role("link", name="Cancel the declaration").click()
    page.get_by_role("button", name="Cancel the declaration").click()  # no reason yet
    expect(page.get_by_role("alert")).to_contain_text("This field is required")
    page.get_by_label("Reason").fill("Lodged twice")
    screenshot("cancel-01-form")
    page.get_by_role("button", name="Cancel the declaration").click()
    expect(page.get_by_text(f"Declaration {declaration.mrn} is cancelled.")).to_be_visible()
    declaration.refresh_from_db()
    assert declaration.status == Status.CANCELLED
    expect(page.get_by_role("link", name="Amend")).to_have_count(0)


def test_another_trader_gets_no_amend_page(page: Page, importer, exporter, password):
    declaration = _lodged(importer)
    sign_in(page, "exporter", password)
    response = page.goto(f"/declarations/{declaration.mrn}/amend/")
    assert response is not None and response.status == 404
