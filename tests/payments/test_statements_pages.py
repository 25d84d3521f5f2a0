"""The statement page and the account page's parts: who sees them, what they show, fixed queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments import facilities
from payments.facilities import declaration_secure
from payments.models import FacilityKind
from payments.statements import Period, statement_generate
from tests.payments.facilities_support import charged, facility, lodged

pytestmark = pytest.mark.django_db

OCTOBER = Period.month(2026, 10)


@pytest.fixture(autouse=True)
def _methods(monkeypatch):
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: {"E"})


@pytest.fixture
def deferment(importer_account):
    return facility(importer_account, kind=FacilityKind.DEFERMENT, reference="DAN1234567", limit="10000.00")


def _charges(user, count: int, amount: str = "100.00"):
    with time_machine.travel(date(2026, 10, 12), tick=False):
        for _ in range(count):
            declaration = charged(lodged(user), amount)
            declaration_secure(declaration=declaration, amount=Decimal(amount))


def _statement(deferment):
    with time_machine.travel(date(2026, 11, 1), tick=False):
        return statement_generate(facility=deferment, period=OCTOBER)


def _url(statement) -> str:
    return reverse("payments:statement", args=[statement.facility.trader_account_id, statement.pk])


def test_the_trader_sees_the_statement_with_its_lines_due_dates_and_total(client, importer, deferment):
    _charges(importer, 2, "1234.50")
    statement = _statement(deferment)
    client.force_login(importer)
    response = client.get(_url(statement))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Statement of October 2026" in page
    assert "2,469.00 GBP" in page
    assert page.count("2026-11-15") == 3  # the statement's due date and each line's
    assert "DAN1234567" in page
    for line in statement.lines.all():
        assert line.declaration.mrn in page


def test_an_authorised_broker_sees_it_an_outsider_gets_404(client, importer, broker, outsider, deferment):
    _charges(importer, 1)
    statement = _statement(deferment)
    client.force_login(broker)
    assert client.get(_url(statement)).status_code == 200
    client.force_login(outsider)
    assert client.get(_url(statement)).status_code == 404
    # Another account's id in the address with this statement: 404 too.
    client.force_login(importer)
    assert (
        client.get(reverse("payments:statement", args=[outsider.pk + 999, statement.pk])).status_code == 404
    )


def test_the_statement_page_costs_the_same_queries_for_one_line_or_many(client, importer, deferment):
    _charges(importer, 1)
    one = _statement(deferment)
    client.force_login(importer)
    client.get(_url(one))
    with CaptureQueriesContext(connection) as first:
        assert client.get(_url(one)).status_code == 200
    with time_machine.travel(date(2026, 11, 12), tick=False):
        for _ in range(6):
            declaration = charged(lodged(importer), "5.00")
            declaration_secure(declaration=declaration, amount=Decimal("5.00"))
    with time_machine.travel(date(2026, 12, 1), tick=False):
        many = statement_generate(facility=deferment, period=Period.month(2026, 11))
    with CaptureQueriesContext(connection) as second:
        assert client.get(_url(many)).status_code == 200
    assert len(second) == len(first)
    assert len(first) <= 12, [q["sql"] for q in first.captured_queries]


def test_the_account_page_lists_the_statements_with_a_link_to_each_and_the_headroom(
    client, importer, importer_account, deferment
):
    _charges(importer, 3)
    statement = _statement(deferment)
    client.force_login(importer)
    page = client.get(reverse("payments:account", args=[importer_account.pk])).content.decode()
    assert f'href="{_url(statement)}"' in page and "October 2026" in page
    assert "9,700.00 GBP" in page and "DAN1234567" in page


def _overdue(deferment):
    from payments.statements import statements_mark_overdue

    statement = _statement(deferment)
    with time_machine.travel(date(2026, 11, 16), tick=False):
        statements_mark_overdue()
    statement.refresh_from_db()
    return statement


def test_paying_the_statement_by_transfer_starts_one_payment_and_its_settlement_reactivates_the_account(
    client, importer, importer_account, deferment, django_capture_on_commit_callbacks
):
    from payments.models import (
        FacilityStatus,
        Payment,
        PaymentMethod,
        ReleaseReason,
        Security,
        StatementStatus,
    )
    from payments.payments import payment_settle

    _charges(importer, 3, "100.00")
    statement = _overdue(deferment)
    deferment.refresh_from_db()
    assert deferment.status == FacilityStatus.SUSPENDED
    client.force_login(importer)
    response = client.post(_url(statement), {"method": PaymentMethod.BANK_TRANSFER}, follow=True)
    assert response.status_code == 200
    payment = Payment.objects.get()
    assert "quoting the payment reference " + payment.reference in response.content.decode()
    assert (
        f"Payment {payment.reference} of 300.00 GBP by bank transfer is under way"
        in response.content.decode()
    )
    assert payment.amount == Decimal("300.00") and payment.allocations.count() == 3
    statement.refresh_from_db()
    assert statement.payment_id == payment.pk and statement.status == StatementStatus.OVERDUE

    with django_capture_on_commit_callbacks(execute=True):
        payment_settle(payment_id=payment.pk, provider_reference="BACS-1", amount=Decimal("300.00"))

    statement.refresh_from_db()
    deferment.refresh_from_db()
    assert statement.status == StatementStatus.PAID
    assert deferment.status == FacilityStatus.ACTIVE
    assert set(Security.objects.values_list("released_reason", flat=True)) == {ReleaseReason.STATEMENT_PAID}
    page = client.get(_url(statement)).content.decode()
    assert "Pay this statement" not in page and "paid on" in page


def test_paying_by_card_goes_to_the_providers_page(client, importer, deferment):
    from payments.models import Payment

    _charges(importer, 1, "100.00")
    statement = _statement(deferment)
    client.force_login(importer)
    response = client.post(_url(statement), {"method": "card"})
    assert response.status_code == 302
    assert response["Location"] == Payment.objects.get().redirect_url


def test_choosing_no_method_is_an_error_on_the_page_and_customs_staff_cannot_pay(
    client, importer, supervisor, deferment
):
    _charges(importer, 1)
    statement = _statement(deferment)
    client.force_login(importer)
    response = client.post(_url(statement), {})
    assert response.status_code == 400
    assert "Choose how to pay." in response.content.decode()
    client.force_login(supervisor)
    page = client.get(_url(statement))
    assert page.status_code == 200 and "Pay this statement" not in page.content.decode()
    assert client.post(_url(statement), {"method": "bank_transfer"}).status_code == 404


def test_a_second_payment_of_a_statement_under_payment_is_refused_on_the_page(client, importer, deferment):
    _charges(importer, 1)
    statement = _statement(deferment)
    client.force_login(importer)
    assert client.post(_url(statement), {"method": "bank_transfer"}).status_code == 302
    again = client.post(_url(statement), {"method": "bank_transfer"})
    assert again.status_code == 400
    assert "already under way" in again.content.decode()
