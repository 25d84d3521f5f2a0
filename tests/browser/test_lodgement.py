"""A trader lodges in the browser the way people do: sign in, fill the form or upload, read the MRN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from declarations.models import Declaration, Status

from ..conftest import IMPORTER_EORI, SAMPLES
from .conftest import sign_in

pytestmark = [pytest.mark.browser]

SAMPLE_IMPORT = SAMPLES / "imports" / "TT_IM001a__Step1_TT_IM001a.xml"


def fill_header(page: Page, lrn: str) -> None:
    page.get_by_label("Declaration type", exact=True).select_option("IM")
    page.get_by_label("Additional declaration type").select_option("A")
    page.get_by_label("Local reference number (LRN)").fill(lrn)
    page.get_by_label("Importer or exporter EORI").fill(IMPORTER_EORI)
    page.get_by_label("Total amount invoiced").fill("1500")
    page.get_by_label("Invoice currency").fill("GBP")
    page.get_by_label("Country of destination").fill("GB")
    page.get_by_label("Country of dispatch or export").fill("US")
    page.get_by_label("Mode of transport at the border").select_option("1")
    page.get_by_label("Nationality of the means of transport").fill("US")
    page.get_by_label("Identity of the means of transport").fill("12345")
    page.get_by_label("Type of transport identity").select_option("10")
    page.get_by_label("Location of goods").fill("WLALONBTW")


def fill_item(page: Page, number: int, *, description: str, commodity_code: str) -> None:
    item = page.locator(f"#goods-item-{number}")
    item.get_by_label("Description of goods").fill(description)
    item.get_by_label("Commodity code").fill(commodity_code)
    item.get_by_label("Country of origin").fill("US")
    item.get_by_label("Quantity", exact=True).fill("50")
    item.get_by_label("Unit", exact=True).fill("NAR")
    item.get_by_label("Net mass (kg)").fill("25")
    item.get_by_label("Gross mass (kg)").fill("30")
    item.get_by_label("Item price").fill("750")
    item.get_by_label("Currency", exact=True).fill("GBP")
    item.get_by_label("Procedure code", exact=True).fill("4000")
    item.get_by_label("Additional procedure codes").fill("000")
    item.get_by_label("Document 1 type").fill("N935")
    item.get_by_label("Document 1 reference").fill(f"INV-{number}")


def test_trader_lodges_two_goods_items_and_sees_the_mrn(page: Page, importer, password, screenshot):
    sign_in(page, "importer", password)
    screenshot("01-home")
    page.get_by_role("link", name="Lodge a declaration").first.click()
    expect(page.get_by_label("Declarant EORI")).to_have_value(IMPORTER_EORI)

    fill_header(page, "BROWSER-001")
    fill_item(
        page, 1, description="Hair clippers with self-contained electric motor", commodity_code="8510200000"
    )
    page.get_by_role("button", name="Add another goods item").click()
    fill_item(page, 2, description="Hair trimmers", commodity_code="8510300000")
    screenshot("02-form-filled")
    page.get_by_role("button", name="Submit declaration").click()

    declaration = Declaration.objects.get(lrn="BROWSER-001")
    expect(page.get_by_role("status").first).to_contain_text(f"Declaration accepted. MRN {declaration.mrn}")
    expect(page.get_by_role("heading", level=1)).to_have_text(declaration.mrn)
    assert declaration.items.count() == 2
    screenshot("03-detail")

    page.get_by_role("link", name="Declarations", exact=True).click()
    expect(page.get_by_role("link", name=declaration.mrn)).to_be_visible()
    screenshot("04-list")


def test_wrong_hs_code_shows_an_error_beside_the_field(page: Page, importer, password, screenshot):
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    fill_header(page, "BROWSER-HS")
    fill_item(page, 1, description="Mystery goods", commodity_code="99999999")
    page.get_by_role("button", name="Submit declaration").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()
    error = page.locator("#id_items-0-commodity_code_error")
    expect(error).to_be_visible()
    expect(page.get_by_label("Commodity code")).to_have_attribute("aria-invalid", "true")
    summary.get_by_role("link", name=re.compile("commodity code", re.IGNORECASE)).first.click()
    expect(page.get_by_label("Commodity code")).to_be_focused()
    assert not Declaration.objects.filter(lrn="BROWSER-HS").exists()
    screenshot("05-form-hs-error")


def test_draft_saved_in_the_browser_is_resumed(page: Page, importer, password):
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    page.get_by_label("Local reference number (LRN)").fill("BROWSER-DRAFT")
    page.locator("#goods-item-1").get_by_label("Description of goods").fill("Half-finished item")
    page.get_by_role("button", name="Save as draft", exact=True).last.click()

    expect(page.get_by_role("status").first).to_contain_text("Draft saved.")
    draft = Declaration.objects.get(lrn="BROWSER-DRAFT", status=Status.DRAFT)
    assert page.url.endswith(f"/declarations/drafts/{draft.pk}/")
    expect(page.locator("#goods-item-1").get_by_label("Description of goods")).to_have_value(
        "Half-finished item"
    )


def test_broker_uploads_xml_and_sees_the_mrn(page: Page, broker, password, screenshot):
    sign_in(page, "broker", password)
    page.get_by_role("link", name="Upload XML").first.click()
    page.get_by_label("WCO declaration XML files").set_input_files(str(SAMPLE_IMPORT))
    page.get_by_role("button", name="Upload and lodge").click()

    expect(page.locator(".file-result--accepted")).to_contain_text("Accepted with MRN")
    declaration = Declaration.objects.get(lrn="7847767E1WB6")
    page.get_by_role("link", name=declaration.mrn).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(declaration.mrn)
    screenshot("06-detail-from-xml")


def test_upload_of_a_broken_file_lists_the_errors(page: Page, broker, password, screenshot, tmp_path):
    broken = tmp_path / "broken.xml"
    body = SAMPLE_IMPORT.read_bytes().replace(b"<ID>85109000</ID>", b"<ID>99999999</ID>")
    broken.write_bytes(body.replace(b"<NetNetWeightMeasure>100<", b"<NetNetWeightMeasure>200<"))
    sign_in(page, "broker", password)
    page.goto("/declarations/upload/")
    page.get_by_label("WCO declaration XML files").set_input_files(str(broken))
    page.get_by_role("button", name="Upload and lodge").click()

    expect(page.locator(".file-result--refused")).to_contain_text("Not lodged")
    errors = page.get_by_role("table")
    expect(errors).to_contain_text("67A/68A")
    expect(errors).to_contain_text("99999999")
    assert not Declaration.objects.exists()
    screenshot("07-upload-errors")


def test_switching_to_french_shows_the_french_page(page: Page, importer, password, screenshot):
    sign_in(page, "importer", password)
    page.get_by_role("button", name="FR").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Déposer une déclaration").first).to_be_visible()
    page.goto("/declarations/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Déposer une déclaration")
    screenshot("08-form-french")


def test_add_item_works_without_javascript(browser, live_server, importer, password):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    page.locator("#goods-item-1").get_by_label("Description of goods").fill("First item")
    page.get_by_role("button", name="Add another goods item").click()

    expect(page.locator("#goods-item-2")).to_be_visible()
    expect(page.locator("#goods-item-1").get_by_label("Description of goods")).to_have_value("First item")
    context.close()


def test_someone_elses_declaration_shows_the_not_found_page(
    page: Page, importer, outsider, password, screenshot
):
    sign_in(page, "outsider", password)
    page.goto("/declarations/26GBNOTYOURS000000/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    screenshot("09-not-found")


def test_declaration_xml_downloads_with_the_session(page: Page, importer, password):
    sign_in(page, "importer", password)
    page.goto("/declarations/new/")
    fill_header(page, "BROWSER-XML")
    fill_item(page, 1, description="Hair clippers", commodity_code="8510200000")
    page.get_by_role("button", name="Submit declaration").click()
    expect(page.get_by_role("status").first).to_contain_text("Declaration accepted.")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download WCO XML").click()

    assert download.value.suggested_filename.endswith(".xml")
    assert b"BROWSER-XML" in Path(download.value.path()).read_bytes()
