"""The pages people use every day, in a real headless Chromium: the officer's queue as cards on a
390 px phone with the due time in words, the decision form beside the goods at 1280 px (and after
them on a phone), the notification inbox by keyboard alone, and a gate checking a release note.

Screenshots go to test-artifacts/screenshots (30-…).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from agencies import services as agency_services
from agencies.models import AgencyReview
from clearance.models import Notification, NotificationKind, ReleaseDecision
from declarations.models import Status as DeclarationStatus

from ..agencies.fixtures import ROSES, SHAVER_PARTS, agency_auto_decide, item
from .conftest import sign_in
from .test_review import lodge_now, review_of

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


def test_queue_is_cards_with_the_due_time_on_a_390px_phone(
    page: Page, importer, plant_officer, agencies, password, screenshot
):
    late = lodge_now(importer, item(1, ROSES), lrn="DU-LATE")
    fresh = lodge_now(importer, item(1, ROSES), item(2, SHAVER_PARTS), lrn="DU-FRESH")
    AgencyReview.objects.filter(pk=review_of(late, "plant-health").pk).update(
        due_at=timezone.now() - timedelta(hours=2, minutes=10)
    )
    sign_in(page, "plant_officer", password)
    page.set_viewport_size(PHONE)
    page.goto("/agencies/queue/")

    rows = page.locator("tr.queue__row")
    expect(rows).to_have_count(2)
    late_card = rows.filter(has_text=late.mrn)
    fresh_card = rows.filter(has_text=fresh.mrn)
    # Each review is a card (no table row squeezed sideways): the page does not scroll sideways.
    assert late_card.evaluate("e => getComputedStyle(e).display") == "grid"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(late_card.locator(".queue__due")).to_contain_text("Overdue by 2 h")
    expect(fresh_card.locator(".queue__due")).to_contain_text("Due in")
    assert late_card.locator(".queue__due time").get_attribute("datetime")
    # The due time sits right under the MRN, above the trader.
    mrn_box = late_card.locator(".queue__mrn").bounding_box()
    due_box = late_card.locator(".queue__due").bounding_box()
    trader_box = late_card.locator("td[data-label='Trader']").bounding_box()
    assert mrn_box and due_box and trader_box
    assert mrn_box["y"] < due_box["y"] < trader_box["y"]
    expect(late_card.locator("td[data-label='Goods']")).to_contain_text("1 item")
    screenshot("30-queue-cards-390")

    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator("table.queue thead").is_visible()
    screenshot("31-queue-table-1280")


def test_review_form_is_beside_the_goods_at_1280_and_after_them_on_a_phone(
    page: Page, importer, plant_officer, agencies, password, screenshot
):
    declaration = lodge_now(importer, item(1, ROSES), item(2, ROSES), lrn="DU-REVIEW")
    review = review_of(declaration, "plant-health")
    agency_services.review_claim(review=review, officer=plant_officer)
    sign_in(page, "plant_officer", password)
    page.goto(f"/agencies/reviews/{review.pk}/")

    goods = page.get_by_role("heading", name="Goods items routed to your agency").bounding_box()
    goods_table = page.locator(".split__main .table-wrap").first.bounding_box()
    form = page.locator("#decision").bounding_box()
    assert goods and goods_table and form
    assert form["x"] >= goods_table["x"] + goods_table["width"]  # beside, to the right
    assert form["y"] < goods_table["y"] + goods_table["height"]  # level with the goods, not above
    assert abs(form["y"] - goods["y"]) < 60
    screenshot("32-review-beside-1280")
    expect(page.get_by_role("link", name="Skip to your action")).to_be_hidden()
    # Scrolled down to the trader's history, the decision is still in view (sticky), and its button
    # is reached inside it by the keyboard.
    page.get_by_role("heading", name="The trader's history with your agency").scroll_into_view_if_needed()
    expect(page.locator("#decision")).to_be_in_viewport()
    page.get_by_role("button", name="Record decision").focus()
    expect(page.get_by_role("button", name="Record decision")).to_be_in_viewport()
    expect(page.get_by_role("heading", name="The trader's history with your agency")).to_be_in_viewport()

    page.set_viewport_size(PHONE)
    page.goto(f"/agencies/reviews/{review.pk}/")
    goods = page.get_by_role("heading", name="Goods items routed to your agency").bounding_box()
    form = page.locator("#decision").bounding_box()
    assert goods and form and form["y"] > goods["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("33-review-stacked-390")
    page.get_by_role("link", name="Skip to your action").click()
    page.wait_for_url("**#decision")
    expect(page.get_by_role("button", name="Record decision")).to_be_in_viewport()


def _tab_to(page: Page, name: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").strip().startswith(name):
            return
    raise AssertionError(f"never reached {name!r} by Tab")


def test_inbox_by_keyboard_alone(page: Page, importer, password, screenshot):
    for n in range(30):
        Notification.objects.create(user=importer, kind=NotificationKind.RELEASED, message=f"Note {n}")
    sign_in(page, "importer", password)
    # The home page showed (and marked read) the newest ten.
    expect(page.locator(".identity__inbox .badge")).to_contain_text("20")

    _tab_to(page, "Messages")
    page.keyboard.press("Enter")
    page.wait_for_url("**/inbox/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages")
    expect(page.locator(".inbox__item--unread")).to_have_count(15)
    expect(page.locator(".flag--new").first).to_have_text("New")
    screenshot("34-inbox-1280")
    # The page marked what it showed; five on page 2 are still unread.
    expect(page.locator(".identity__inbox .badge")).to_contain_text("5")

    _tab_to(page, "Mark all as read")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("All your messages are marked as read.")
    expect(page.locator(".identity__inbox .badge")).to_have_count(0)
    assert not Notification.objects.filter(user=importer, read_at__isnull=True).exists()

    _tab_to(page, "Next")
    page.keyboard.press("Enter")
    page.wait_for_url("**page=2")
    expect(page.locator(".inbox__item")).to_have_count(5)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("35-inbox-390")


def test_gate_checks_a_release_note_on_a_phone(page: Page, importer, agencies, screenshot):
    agency_auto_decide("plant-health")
    declaration = lodge_now(
        importer,
        item(1, ROSES, documents=[{"code": "N851", "reference": "P-1", "status": "AE"}]),
        lrn="DU-GATE",
    )
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.RELEASED
    code = ReleaseDecision.objects.get(declaration=declaration).verification_code

    page.set_viewport_size(PHONE)
    page.goto("/verify/")
    page.get_by_label("Verification code").fill(code.replace("-", " ").lower())
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=2, name="Valid: the goods are released")).to_be_visible()
    expect(page.locator(".verify-result")).to_contain_text(declaration.mrn)
    expect(page.locator(".verify-result")).not_to_contain_text("Clippers Import Ltd")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("36-verify-valid-390")

    page.get_by_label("Verification code").fill("AAAA-BBBB-CCCC")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", level=2, name="Not valid: no release has this code")).to_be_visible()
    screenshot("37-verify-unknown-390")
