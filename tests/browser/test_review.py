"""Officers, traders and supervisors work a declaration to its release in a real headless Chromium.

Declarations are lodged through the API on the live server's database; Celery runs eagerly in
this process, so routing and consolidation happen after each commit, as in the embedded mode.
Each page built for the agencies and for clearance is photographed into test-artifacts/screenshots.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.access import account_add_member
from agencies import services as agency_services
from agencies.models import AgencyReview, InformationRequest, ReviewStatus
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus

from ..agencies.fixtures import ROSES, SHAVER_PARTS, item, lodge, payload_with
from .conftest import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser]


def _no_capture(execute: bool = False) -> contextlib.AbstractContextManager[Any]:
    # Outside a test transaction on_commit runs at once: routing has happened when lodge returns.
    return contextlib.nullcontext()


def lodge_now(user: Any, *items: dict[str, Any], lrn: str) -> Declaration:
    return lodge(user, payload_with(*items, lrn=lrn), _no_capture)


def review_of(declaration: Declaration, agency_code: str) -> AgencyReview:
    return AgencyReview.objects.get(declaration=declaration, agency__code=agency_code)


def test_officer_claims_and_approves(page: Page, importer, plant_officer, agencies, password, screenshot):
    flowers = lodge_now(importer, item(1, ROSES), lrn="BR-APPROVE")
    lodge_now(importer, item(1, ROSES), item(2, SHAVER_PARTS), lrn="BR-OTHER")
    sign_in(page, "plant_officer", password)
    page.get_by_role("link", name="Queue", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    expect(page.get_by_role("link", name="Lodge a declaration")).to_have_count(0)
    screenshot("10-officer-queue")
    page.get_by_role("link", name=flowers.mrn).click()
    screenshot("11-review-waiting")
    page.get_by_role("button", name="Claim this review").click()
    expect(page.get_by_role("status").first).to_contain_text("You have taken this review")

    # Rejecting without a reason is refused beside the field and in the focused summary.
    page.get_by_label("Reject").check()
    page.get_by_role("button", name="Record decision").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Say why the goods are rejected.")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Reason or question")).to_have_attribute("aria-invalid", "true")
    screenshot("12-review-reason-required")

    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Record decision").click()

    expect(page.get_by_role("status").first).to_contain_text("You approved the goods")
    assert review_of(flowers, "plant-health").status == ReviewStatus.APPROVED
    flowers.refresh_from_db()
    assert flowers.status == DeclarationStatus.RELEASED  # the only agency approved: released at once
    screenshot("13-review-approved")


def test_second_officer_is_told_the_review_is_taken(
    page: Page, importer, plant_officer, plant_officer_2, agencies, password
):
    flowers = lodge_now(importer, item(1, ROSES), lrn="BR-TAKEN")
    review = review_of(flowers, "plant-health")
    sign_in(page, "plant_officer_2", password)
    page.goto(f"/agencies/reviews/{review.pk}/")
    agency_services.review_claim(review=review, officer=plant_officer)  # the first officer was quicker

    page.get_by_role("button", name="Claim this review").click()

    expect(page.locator(".notice--error")).to_contain_text(
        "Another officer (plant_officer) has already taken"
    )
    expect(page.get_by_role("button", name="Record decision")).to_have_count(0)


def test_trader_answers_an_information_request(
    page: Page, importer, plant_officer, agencies, password, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    flowers = lodge_now(importer, item(1, ROSES), item(2, SHAVER_PARTS), lrn="BR-ASK")
    review = review_of(flowers, "plant-health")
    agency_services.review_claim(review=review, officer=plant_officer)
    agency_services.review_decide(
        review=review,
        officer=plant_officer,
        outcome="info_requested",
        reason="Please send the phytosanitary certificate (N851) for the roses.",
    )
    certificate = tmp_path / "phyto-certificate.pdf"
    certificate.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    sign_in(page, "importer", password)
    expect(page.get_by_role("heading", name="1 new message")).to_be_visible()
    screenshot("14-trader-home-notification")
    page.get_by_role("link", name=f"Open declaration {flowers.mrn}").click()
    expect(page.get_by_text("Please send the phytosanitary certificate")).to_be_visible()
    expect(page.get_by_text("PDF, PNG, JPEG, XML or plain text")).to_be_visible()
    screenshot("15-trader-question")

    page.get_by_label("Your answer").fill("Certificate PHYTO-2026-118 attached.")
    page.get_by_label("Attach files (optional)").set_input_files(str(certificate))
    page.get_by_role("button", name="Send answer").click()

    expect(page.get_by_role("status").first).to_contain_text(
        "Your answer was sent to Plant Health Inspectorate"
    )
    info = InformationRequest.objects.get(review=review)
    assert info.answer == "Certificate PHYTO-2026-118 attached."
    assert info.attachments.get().original_name == "phyto-certificate.pdf"
    assert review_of(flowers, "plant-health").status == ReviewStatus.IN_REVIEW
    screenshot("16-trader-answered")

    # Back with the officer: the answer and its file are on the review page.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "plant_officer", password)
    page.goto(f"/agencies/reviews/{review.pk}/")
    expect(page.get_by_text("Certificate PHYTO-2026-118 attached.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="phyto-certificate.pdf").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    screenshot("17-review-with-answer")


def test_supervisor_overrides_and_the_trader_downloads_the_release_note(
    page: Page, importer, supervisor, agencies, password, screenshot
):
    declaration = lodge_now(importer, item(1, ROSES), item(2, SHAVER_PARTS), lrn="BR-OVERRIDE")
    sign_in(page, "supervisor", password)
    expect(page.get_by_role("link", name="Lodge a declaration")).to_have_count(0)
    page.get_by_role("link", name="Declarations overview").first.click()
    expect(page.get_by_role("row", name=re.compile(declaration.mrn))).to_contain_text("Bureau of Standards")
    screenshot("18-supervisor-overview")
    page.get_by_role("link", name=declaration.mrn).click()
    screenshot("19-supervisor-declaration")

    page.get_by_label("Released").check()
    page.get_by_role("button", name="Record release decision").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why you override the release decision.")
    screenshot("20-supervisor-reason-required")

    reason = "Perishable flowers; certificate checked with the issuing authority by phone."
    page.get_by_label("Released").check()
    page.get_by_label("Reason", exact=True).fill(reason)
    page.get_by_role("button", name="Record release decision").click()

    expect(page.get_by_role("status").first).to_contain_text("Release decision recorded: Released")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Release decision overridden by a supervisor")
    expect(timeline).to_contain_text(reason)
    screenshot("21-supervisor-overridden")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "importer", password)
    expect(page.locator(".notifications")).to_contain_text(
        f"Declaration {declaration.mrn}: the goods are released."
    )
    page.goto(f"/declarations/{declaration.mrn}/")
    expect(page.locator(".decision")).to_contain_text("Released")
    expect(page.locator(".decision")).to_contain_text(reason)
    screenshot("22-trader-released")

    with page.expect_download() as download:
        page.get_by_role("link", name="Printable web page (HTML)").click()
    assert download.value.suggested_filename == f"release-{declaration.mrn}.html"
    note = SCREENSHOTS.parent / f"release-{declaration.mrn}.html"
    download.value.save_as(note)
    text = note.read_text()
    assert declaration.mrn in text and "BR-OVERRIDE" in text and "Clippers Import Ltd" in text
    page.goto(note.as_uri())
    expect(page.get_by_role("heading", level=1)).to_have_text("Release note")
    screenshot("23-release-note")
    page.emulate_media(media="print")
    screenshot("24-release-note-print")
    note.unlink()


def test_broker_header_stays_on_one_line(page: Page, broker, password, screenshot):
    from tests.factories import TraderAccountFactory

    account_add_member(
        account=TraderAccountFactory(
            eori="XI603202734852", name="Harbour Customs Brokers (Northern Ireland)"
        ),
        user=broker,
    )
    sign_in(page, "broker", password)

    header = page.locator(".site-header")
    expect(header).to_contain_text("+1 more")
    box_name, box_lang = (page.locator(sel).bounding_box() for sel in (".service-name", ".lang-switch"))
    assert box_name and box_lang and abs(box_name["y"] - box_lang["y"]) < 30  # one row
    screenshot("25-broker-header")


def test_queue_in_french(page: Page, importer, plant_officer, agencies, password, screenshot):
    lodge_now(importer, item(1, ROSES), lrn="BR-FR")
    sign_in(page, "plant_officer", password)
    page.get_by_role("button", name="FR").click()
    page.goto("/agencies/queue/")

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("File des examens")
    expect(page.get_by_role("link", name=re.compile("En attente"))).to_be_visible()
    screenshot("26-queue-french")
