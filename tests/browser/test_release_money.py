"""Release waits for the money, in the browser: a trader pays by card and the goods are released; a
declaration whose duties a guarantee covers is released without any payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from agencies.models import Agency
from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Channel, Declaration, Status
from declarations.services import declaration_lodge
from payments.models import Facility, FacilityKind
from payments.refdata.loader import DEMO_TARIFF, tariff_load
from payments.status import money_status
from tests.declarations.payloads import import_payload
from tests.factories import AgencyFactory

from .conftest import sign_in

pytestmark = [pytest.mark.browser]

SHAVER_PARTS = "85109000"  # 2 % duty in the demo tariff, VAT 20 %, the standards agency's fee


@pytest.fixture
def automatic_agencies_and_tariff(transactional_db):
    """Customs and standards decide automatically; the demo tariff charges the goods."""
    for code in ("customs", "plant-health", "food-safety", "standards", "veterinary"):
        AgencyFactory(
            code=code, name=code.replace("-", " ").title(), is_customs=code == "customs", auto_decide=True
        )
    assert Agency.objects.filter(auto_decide=True).count() == 5
    tariff_load(DEMO_TARIFF.read_text(encoding="utf-8"), source=DEMO_TARIFF.name)


def _lodged(importer, lrn: str) -> Declaration:
    payload = import_payload(lrn=lrn)
    for item in payload["items"]:
        item.update(commodity_code=SHAVER_PARTS, value_amount="1000.00", value_currency="GBP")
    serializer = DeclarationInputSerializer(data=payload)
    assert serializer.is_valid(), serializer.errors
    declaration = declaration_lodge(
        user=importer, data=serializer.to_declaration_data(), channel=Channel.API_JSON
    ).declaration
    declaration.refresh_from_db()  # routed and assessed after the lodgement's commit
    return declaration


def _reload_until(page: Page, text: str, tries: int = 20) -> None:
    """The callback and the consolidation run after the redirect: reload until the page says so."""
    status = page.locator(".status-line .status, .status").first
    for _ in range(tries):
        if text in status.inner_text():
            return
        page.wait_for_load_state("networkidle")
        page.reload()
    expect(status).to_contain_text(text)


def test_a_trader_pays_the_duties_by_card_and_the_goods_are_released(
    page: Page, live_server, settings, importer, automatic_agencies_and_tariff, password, screenshot
):
    settings.SW_TESTPAY_CALLBACK_BASE_URL = live_server.url
    declaration = _lodged(importer, "BROWSER-REL-PAID")
    status = money_status(declaration)
    assert declaration.status == Status.IN_REVIEW and status.outstanding > 0
    owed = f"{status.outstanding:,.2f} {status.currency}"

    sign_in(page, "importer", password)
    page.goto(f"/declarations/{declaration.mrn}/")
    waits = page.get_by_role("region", name="What the release waits for")
    expect(waits.locator('[data-condition="reviews"]')).to_contain_text("Every agency has decided")
    expect(waits.locator('[data-condition="money"]')).to_contain_text(f"{owed} to be paid or secured")
    expect(page.get_by_role("region", name="Duties and payment")).to_contain_text(owed)
    waits.scroll_into_view_if_needed()
    screenshot("release-money-01-waits-for-payment")

    page.get_by_role("region", name="Duties and payment").get_by_role("link", name="Pay now").click()
    page.get_by_role("button", name=f"Confirm and pay {owed}").click()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name=f"Pay {owed}").click()

    expect(page.get_by_role("heading", name=declaration.mrn)).to_be_visible()
    _reload_until(page, "Released")
    expect(page.get_by_role("region", name="What the release waits for")).to_have_count(0)
    screenshot("release-money-02-released")
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    assert money_status(declaration).outstanding == 0


def test_a_declaration_covered_by_a_guarantee_is_released_without_payment(
    page: Page, importer, importer_account, automatic_agencies_and_tariff, password, screenshot
):
    Facility.objects.create(
        trader_account=importer_account,
        kind=FacilityKind.GUARANTEE,
        reference="GBGUA553202734852",
        limit=Decimal("20000"),
        currency="GBP",
        valid_from=date(2026, 1, 1),
    )
    declaration = _lodged(importer, "BROWSER-REL-SECURED")
    assert declaration.status == Status.RELEASED

    sign_in(page, "importer", password)
    page.goto(f"/declarations/{declaration.mrn}/")
    expect(page.locator(".status").first).to_contain_text("Released")
    box = page.get_by_role("region", name="Duties and payment")
    expect(box).to_contain_text("Secured")
    expect(box).to_contain_text("GBGUA553202734852")
    box.scroll_into_view_if_needed()
    screenshot("release-money-03-secured-released")
