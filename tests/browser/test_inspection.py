"""A red-lane declaration inspected at the quay, in a real headless Chromium: the supervisor
schedules the joint inspection, the trader sees where and when, the customs officer records
compliant findings with a photo on a 390 px phone, and the goods are released.

Risk management's rule pages are not on main yet: the declaration is put in the red lane by its
assessment before routing (what the risk engine records), as the control tests do.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from agencies.models import Agency
from clearance import services
from clearance.models import ControlTask, FindingPhoto, Lane
from declarations.models import Declaration, Status
from singlewindow import outbox

from ..agencies.fixtures import customs, customs_officer, item, payload_with  # noqa: F401
from ..clearance.inspections.conftest import PNG, TEA, set_lane
from .conftest import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser]


def lodged_red(importer, monkeypatch) -> Declaration:
    from tests.agencies.fixtures import client_for

    with monkeypatch.context() as patched:  # routing waits until the lane is set
        patched.setitem(outbox._HANDLERS, "declarations.declaration.accepted", [])
        response = client_for(importer).post(
            "/api/v1/declarations", payload_with(item(1, TEA), lrn="BR-RED-1"), format="json"
        )
    assert response.status_code == 201, response.json()
    declaration = Declaration.objects.get(mrn=response.json()["mrn"])
    set_lane(declaration, Lane.RED)
    services.declaration_route(declaration_id=declaration.pk)
    return declaration


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_red_declaration_inspected_from_a_phone_and_released(
    page: Page,
    browser: Browser,
    live_server,
    importer,
    supervisor,
    customs_officer,  # noqa: F811 - the fixture
    password,
    screenshot,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    Agency.objects.filter(is_customs=True).update(auto_decide=True)
    declaration = lodged_red(importer, pytest.MonkeyPatch())
    declaration.refresh_from_db()
    assert declaration.status == Status.IN_REVIEW
    assert ControlTask.objects.get(declaration=declaration).kind == "physical"

    # The supervisor schedules the joint inspection.
    sign_in(page, "supervisor", password)
    page.get_by_role("link", name="Inspections", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inspections")
    screenshot("60-inspections-plan")
    page.get_by_role("link", name=declaration.mrn).click()
    when = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=9, minute=30)
    page.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Place").fill("Berth 4, inspection shed B")
    page.get_by_label("What to present").fill("The original invoice and packing list; container opened.")
    page.get_by_label("Contact").fill("Duty officer, +44 20 7946 0000")
    screenshot("61-inspection-schedule-form")
    page.get_by_role("button", name="Schedule and tell the trader").click()
    expect(page.get_by_role("status").first).to_contain_text("Inspection scheduled")
    screenshot("62-inspection-scheduled")
    page.get_by_role("button", name="Sign out").click()

    # The trader sees where, when and what to present.
    sign_in(page, "importer", password)
    expect(page.locator(".notifications")).to_contain_text("Berth 4, inspection shed B")
    page.goto(f"/declarations/{declaration.mrn}/")
    panel = page.locator(".inspection-panel")
    expect(panel).to_contain_text("Berth 4, inspection shed B")
    expect(panel).to_contain_text("The original invoice and packing list")
    expect(page.locator("[data-condition=controls]")).to_contain_text("inspection scheduled for")
    screenshot("63-trader-inspection-panel")
    page.get_by_role("button", name="Sign out").click()

    # The customs officer at the quay, on a 390 px phone.
    phone_context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    phone_context.set_default_timeout(10_000)
    phone = phone_context.new_page()
    try:
        sign_in(phone, "customs_officer", password)
        phone.goto("/clearance/inspections/")
        expect(phone.get_by_role("heading", level=1)).to_have_text("My inspections")
        assert no_horizontal_scroll(phone)
        phone.screenshot(path=str(SCREENSHOTS / "64-phone-my-inspections.png"), full_page=True)
        phone.get_by_role("link", name=declaration.mrn).click()
        assert no_horizontal_scroll(phone)
        photo_input = phone.get_by_label("Photos")
        expect(photo_input).to_have_attribute("capture", "environment")
        expect(photo_input).to_have_attribute("accept", "image/*")
        compliant = phone.get_by_label("Compliant", exact=True)
        box = compliant.bounding_box()
        assert box is not None and box["height"] >= 24  # a thumb's target
        phone.screenshot(path=str(SCREENSHOTS / "65-phone-findings-form.png"), full_page=True)
        compliant.check()
        phone.get_by_role("textbox", name="Findings").fill("Seals intact, 40 cartons of tea as declared.")
        picture = tmp_path / "quay.png"
        picture.write_bytes(PNG)
        photo_input.set_input_files(str(picture))
        phone.get_by_role("button", name="Record findings").click()
        expect(phone.get_by_role("status").first).to_contain_text("Findings recorded")
        assert no_horizontal_scroll(phone)
        expect(phone.get_by_role("img", name="Photo 1 by")).to_be_visible()
        phone.screenshot(path=str(SCREENSHOTS / "66-phone-findings-recorded.png"), full_page=True)
    finally:
        phone_context.close()

    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    assert FindingPhoto.objects.filter(finding__inspection__declaration=declaration).count() == 1
    sign_in(page, "importer", password)
    page.goto(f"/declarations/{declaration.mrn}/")
    expect(page.locator(".decision")).to_contain_text("Released")
    expect(page.locator(".inspection-panel")).to_contain_text("Compliant")
    screenshot("67-trader-released-after-inspection")
    assert Path(SCREENSHOTS / "65-phone-findings-form.png").exists()


def test_yellow_declaration_documentary_check_beside_the_goods_then_released(
    page: Page,
    importer,
    customs_officer,  # noqa: F811 - the fixture
    password,
    screenshot,
):
    Agency.objects.filter(is_customs=True).update(auto_decide=True)
    from tests.agencies.fixtures import client_for

    with pytest.MonkeyPatch().context() as patched:
        patched.setitem(outbox._HANDLERS, "declarations.declaration.accepted", [])
        response = client_for(importer).post(
            "/api/v1/declarations", payload_with(item(1, TEA), lrn="BR-YELLOW-1"), format="json"
        )
    declaration = Declaration.objects.get(mrn=response.json()["mrn"])
    set_lane(declaration, Lane.YELLOW)
    services.declaration_route(declaration_id=declaration.pk)

    sign_in(page, "customs_officer", password)
    page.get_by_role("link", name="Controls", exact=True).click()
    page.get_by_role("link", name="Documentary checks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Documentary checks")
    screenshot("68-documentary-queue")
    page.get_by_role("link", name=declaration.mrn).click()
    goods = page.get_by_role("table").first.bounding_box()
    form = page.locator(".split__aside").bounding_box()
    assert goods and form and form["x"] > goods["x"] + goods["width"] - 1  # the form beside the goods
    page.get_by_role("button", name="Record the check").click()
    expect(page.get_by_role("alert")).to_contain_text("Say whether the documents are compliant.")
    page.get_by_label("Compliant", exact=True).check()
    screenshot("69-documentary-check")
    page.get_by_role("button", name="Record the check").click()
    expect(page.get_by_role("status").first).to_contain_text("Documentary check of")
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("70-documentary-check-recorded-phone")
