"""A trader pays a declaration: by card through TestPay's own page (its callback arrives on its
own), or by bank transfer that a customs cashier confirms; the declaration then shows it paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Channel, Declaration
from declarations.services import declaration_lodge
from payments.charges import declaration_charge
from payments.models import Payment, PaymentStatus
from payments.status import money_status
from tests.declarations.payloads import import_payload
from tests.factories import UserFactory

from .conftest import sign_in

pytestmark = [pytest.mark.browser]


def charged(importer, lrn: str) -> tuple[Declaration, str]:
    """A lodged import owing duties, and what it owes as the pages show it (``232.40 GBP``): charged
    here unless the pipeline assessed it already."""
    serializer = DeclarationInputSerializer(data=import_payload(lrn=lrn))
    assert serializer.is_valid(), serializer.errors
    declaration = declaration_lodge(
        user=importer, data=serializer.to_declaration_data(), channel=Channel.API_JSON
    ).declaration
    if money_status(declaration).charged == 0:
        declaration_charge(
            declaration=declaration, amounts={"A00": Decimal("27.00"), "B00": Decimal("205.40")}
        )
    status = money_status(declaration)
    assert status.outstanding > 0
    return declaration, f"{status.outstanding:,.2f} {status.currency}"


def test_a_trader_pays_by_card_through_the_providers_page_and_sees_it_paid(
    page: Page, live_server, settings, importer, customs, password, screenshot
):
    settings.SW_TESTPAY_CALLBACK_BASE_URL = live_server.url
    declaration, owed = charged(importer, "BROWSER-PAY-CARD")
    sign_in(page, "importer", password)
    page.goto(f"/declarations/{declaration.mrn}/")
    box = page.get_by_role("region", name="Duties and payment")
    expect(box).to_contain_text("Payment due")
    expect(box).to_contain_text(owed)
    box.scroll_into_view_if_needed()
    screenshot("payments-01-money-box-due")

    # Keyboard only: to "Pay now", then the confirmation step.
    box.get_by_role("link", name="Pay now").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Pay the duties")).to_be_visible()
    expect(page.get_by_label("Card, now")).to_be_checked()
    screenshot("payments-02-confirm")
    page.get_by_role("button", name=f"Confirm and pay {owed}").click()

    expect(page.get_by_role("heading", name="Confirm the card payment")).to_be_visible()
    page.get_by_role("button", name=f"Pay {owed}").click()  # no card number yet
    expect(page.get_by_role("alert")).to_contain_text("Enter the card number")
    screenshot("payments-03-testpay-error")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name=f"Pay {owed}").click()

    # Back on the declaration: the callback settles it, and the page shows it paid.
    expect(page.get_by_role("heading", name=declaration.mrn)).to_be_visible()
    box = page.get_by_role("region", name="Duties and payment")
    expect(box.locator(".status").first).to_have_text("Paid")
    expect(box.get_by_role("link", name="Pay now")).to_have_count(0)
    box.scroll_into_view_if_needed()
    screenshot("payments-04-paid")
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SETTLED


def test_a_card_that_never_answers_leaves_the_payment_being_confirmed(
    page: Page, live_server, settings, importer, customs, password, screenshot
):
    settings.SW_TESTPAY_CALLBACK_BASE_URL = live_server.url
    declaration, owed = charged(importer, "BROWSER-PAY-SILENT")
    sign_in(page, "importer", password)
    page.goto(f"/payments/declarations/{declaration.mrn}/pay/?method=card")
    page.get_by_role("button", name=f"Confirm and pay {owed}").click()
    page.get_by_label("Card number").fill("4000 0000 0000 0119")
    page.get_by_role("button", name=f"Pay {owed}").click()

    box = page.get_by_role("region", name="Duties and payment")
    expect(box).to_contain_text("is being confirmed by the card provider")
    expect(box.get_by_role("link", name="Pay now")).to_have_count(0)
    box.scroll_into_view_if_needed()
    screenshot("payments-05-being-confirmed")


def test_a_trader_pays_by_transfer_and_a_cashier_confirms_it(
    page: Page, importer, customs, password, screenshot
):
    declaration, owed = charged(importer, "BROWSER-PAY-BANK")
    UserFactory(username="cashier", role="cashier", password=password)
    sign_in(page, "importer", password)
    page.goto(f"/declarations/{declaration.mrn}/")
    page.get_by_role("link", name="Pay by bank transfer").click()
    expect(page.get_by_label("Bank transfer")).to_be_checked()
    page.get_by_role("button", name=f"Confirm and pay {owed}").click()
    payment = Payment.objects.get()
    expect(page.get_by_role("heading", name=payment.reference)).to_be_visible()
    expect(page.locator(".summary-list").first).to_contain_text("GB45BKEN10539223456789")
    screenshot("payments-06-transfer-details")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "cashier", password)
    page.get_by_role("link", name="Bank transfers").click()
    page.get_by_label("Payment reference or EORI").fill(payment.reference)
    page.get_by_role("button", name="Search").click()
    screenshot("payments-07-cashier-list")
    page.get_by_role("link", name=f"Confirm receipt {payment.reference}").click()
    page.get_by_label("Amount received").fill("1.00")
    page.get_by_label("Value date").fill(timezone.localdate().isoformat())
    page.get_by_label("Bank reference").fill("BGC 000123")
    page.get_by_role("button", name="Confirm receipt").click()
    expect(page.get_by_role("alert")).to_contain_text(f"does not match the {owed}")
    screenshot("payments-08-cashier-mismatch")
    page.get_by_label("Amount received").fill(owed.split()[0].replace(",", ""))
    page.get_by_role("button", name="Confirm receipt").click()
    expect(page.get_by_role("status")).to_contain_text(f"Transfer {payment.reference} confirmed")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
