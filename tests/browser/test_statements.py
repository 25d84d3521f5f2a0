"""A deferment account's month in the browser: the statement is made, the trader opens it from the
account page and pays it in one card payment; the statement is paid and the account active again."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from payments.facilities import declaration_secure
from payments.models import FacilityKind, FacilityStatus, Statement, StatementStatus
from payments.statements import Period, month_label, statements_mark_overdue
from tests.payments.facilities_support import charged, facility, lodged

from .conftest import sign_in

pytestmark = [pytest.mark.browser]


def test_a_months_statement_is_made_and_paid_by_the_trader(
    page: Page, live_server, settings, importer, importer_account, customs, password, screenshot
):
    settings.SW_TESTPAY_CALLBACK_BASE_URL = live_server.url
    deferment = facility(
        importer_account, kind=FacilityKind.DEFERMENT, reference="DAN1234567", limit="5000.00"
    )
    last_month = Period.containing(timezone.localdate()).previous
    with time_machine.travel(last_month.start + timedelta(days=9), tick=False):
        for amount in ("232.40", "1250.00"):
            declaration = charged(lodged(importer), amount)
            assert declaration_secure(declaration=declaration, amount=Decimal(amount)).secured
    # The 1st of the month's job, by hand; then the due day passes unpaid.
    call_command("statements_generate", "--month", str(last_month))
    statement = Statement.objects.get()
    statements_mark_overdue(today=statement.due_on + timedelta(days=1))
    deferment.refresh_from_db()
    assert deferment.status == FacilityStatus.SUSPENDED

    sign_in(page, "importer", password)
    page.goto(f"/accounts/{importer_account.pk}/")
    month = month_label(last_month.start)
    page.get_by_role("link", name=month).click()
    expect(page.get_by_role("heading", name=f"Statement of {month}", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("the deferment account is suspended")
    lines = page.get_by_role("table", name=f"Charges of {month}")
    expect(lines.locator("tbody tr")).to_have_count(2)
    expect(lines.locator("tfoot")).to_contain_text("1,482.40 GBP")
    screenshot("statement-01-overdue")

    page.get_by_label("Card").check()
    page.get_by_role("button", name="Pay this statement").click()
    expect(page.get_by_role("heading", name="Confirm the card payment")).to_be_visible()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay 1,482.40 GBP").click()

    expect(page.get_by_role("heading", name=f"Statement of {month}", level=1)).to_be_visible()
    page.reload()  # the gateway's callback arrives on its own, like a real one
    expect(page.locator(".summary-list")).to_contain_text("Paid")
    expect(page.get_by_role("button", name="Pay this statement")).to_have_count(0)
    screenshot("statement-02-paid")
    statement.refresh_from_db()
    deferment.refresh_from_db()
    assert statement.status == StatementStatus.PAID
    assert deferment.status == FacilityStatus.ACTIVE
