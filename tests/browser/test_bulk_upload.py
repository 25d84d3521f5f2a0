"""Uploading many XML files in the browser: the script sends them to the API one by one with the
session, shows the progress and each file's answer; without JavaScript the page answers the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from declarations.models import Channel, Declaration

from ..conftest import SAMPLES, TT1
from ..declarations.test_conformance import TT1_PLACEHOLDER, TT1_TESTER_EORI
from .conftest import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser]

IM001A = SAMPLES / "imports" / "TT_IM001a__Step1_TT_IM001a.xml"
TT1_NETMASS = (
    TT1 / "Imports/Rejected/Obligation_Rejection/Declaration/TT1_IM_v2.02_Rejected_Obligation_Netmass.xml"
)


@pytest.fixture
def batch(tmp_path: Path) -> list[Path]:
    """Two good declarations, one refused by the rules, a DOCTYPE, and the first one again."""
    files = {
        "first.xml": IM001A.read_bytes().replace(b"7847767E1WB6", b"BROWSER-B1"),
        "second.xml": IM001A.read_bytes().replace(b"7847767E1WB6", b"BROWSER-B2"),
        "netmass.xml": TT1_NETMASS.read_bytes().replace(TT1_PLACEHOLDER, TT1_TESTER_EORI),
        "doctype.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        "first-again.xml": IM001A.read_bytes().replace(b"7847767E1WB6", b"BROWSER-B1"),
    }
    paths = []
    for name, body in files.items():
        path = tmp_path / name
        path.write_bytes(body)
        paths.append(path)
    return paths


def result(page: Page, name: str):
    return page.locator(".file-result").filter(has=page.locator(".file-result__name", has_text=name))


def test_a_batch_is_sent_file_by_file_with_progress_and_an_answer_each(
    page: Page, broker, password, batch, screenshot
):
    sign_in(page, "broker", password)
    page.goto("/declarations/upload/")
    page.get_by_label("WCO declaration XML files").set_input_files([str(p) for p in batch])
    page.get_by_role("button", name="Upload and lodge").click()

    status = page.locator("#bulk-status")
    expect(status).to_contain_text("Done: 5 files. Accepted: 2. Already lodged: 1.", timeout=30_000)
    expect(status).to_contain_text("Refused: 2.")
    expect(page.locator("#bulk-progress-bar")).to_have_attribute("max", "5")
    assert page.locator("#bulk-progress-bar").evaluate("bar => bar.value") == 5
    # Keyboard and screen-reader users land on the results.
    expect(page.get_by_role("heading", name="Results")).to_be_focused()

    first = Declaration.objects.get(lrn="BROWSER-B1")
    assert Declaration.objects.filter(lrn="BROWSER-B2").exists()
    assert Declaration.objects.count() == 2
    assert first.channel == Channel.WEB_XML
    expect(result(page, "first.xml")).to_contain_text(f"Accepted with MRN {first.mrn}")
    expect(result(page, "first-again.xml")).to_contain_text("Already lodged")
    expect(result(page, "first-again.xml").get_by_role("link", name=first.mrn)).to_be_visible()
    netmass = result(page, "netmass.xml")
    expect(netmass).to_contain_text("Refused")
    expect(netmass.get_by_role("table")).to_contain_text("67A/68A[1]/23A/65A")
    expect(netmass.get_by_role("table")).to_contain_text("NetNetWeightMeasure (DE 6/1)")
    expect(netmass.get_by_role("table")).to_contain_text("net_mass_missing")
    expect(result(page, "doctype.xml").get_by_role("table")).to_contain_text("doctype")
    screenshot("bulk-01-results")

    result(page, "first.xml").get_by_role("link", name=first.mrn).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(first.mrn)


def test_check_only_answers_per_file_and_lodges_nothing(page: Page, broker, password, batch, screenshot):
    sign_in(page, "broker", password)
    page.goto("/declarations/upload/")
    page.get_by_label("WCO declaration XML files").set_input_files([str(p) for p in batch[:3]])
    page.get_by_role("button", name="Check only, lodge nothing").click()

    expect(page.locator("#bulk-status")).to_contain_text(
        "Done: 3 files checked. Would be accepted: 2. Would be refused: 1.", timeout=30_000
    )
    expect(result(page, "first.xml")).to_contain_text("Lodging it would be accepted. Nothing was lodged.")
    expect(result(page, "netmass.xml")).to_contain_text(
        "Lodging it would be refused: the API would answer 400."
    )
    expect(result(page, "netmass.xml").get_by_role("table")).to_contain_text("net_mass_missing")
    expect(result(page, "netmass.xml").get_by_role("table")).to_contain_text("(DE 6/1)")
    assert not Declaration.objects.exists()
    screenshot("bulk-02-check-only")


def test_a_batch_over_the_limit_is_refused_before_anything_is_sent(
    page: Page, broker, password, batch, settings
):
    settings.SW_BULK_MAX_FILES = 2
    sign_in(page, "broker", password)
    page.goto("/declarations/upload/")
    page.get_by_label("WCO declaration XML files").set_input_files([str(p) for p in batch[:3]])
    page.get_by_role("button", name="Upload and lodge").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("At most 2 files can be sent in one go.")
    expect(alert).to_be_focused()
    assert not Declaration.objects.exists()
    alert.get_by_role("link").click()
    expect(page.get_by_label("WCO declaration XML files")).to_be_focused()


def test_without_javascript_the_form_posts_the_files_and_the_page_answers_each(
    browser: Browser, live_server, transactional_db, broker, password, batch
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, "broker", password)
        page.goto("/declarations/upload/")
        page.get_by_label("WCO declaration XML files").set_input_files([str(p) for p in batch])
        page.get_by_role("button", name="Upload and lodge").click()

        expect(page.get_by_role("alert")).to_contain_text("2 of 5 files need your attention")
        expect(page.locator("#bulk-summary")).to_contain_text(
            "Done: 5 files. Accepted: 2. Already lodged: 1."
        )
        first = Declaration.objects.get(lrn="BROWSER-B1")
        expect(result(page, "first.xml")).to_contain_text(f"Accepted with MRN {first.mrn}")
        expect(result(page, "netmass.xml").get_by_role("table")).to_contain_text("NetNetWeightMeasure")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "bulk-03-without-javascript.png"), full_page=True)
        page.get_by_role("alert").get_by_role("link", name="netmass.xml").click()
        assert page.url.endswith("#file-3")
    finally:
        context.close()
