"""The statement page and the account page's parts: who sees them, what they show, fixed queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments import facilities
from payments.facilities import declaration_secure, facilities_for
from payments.models import FacilityKind
from payments.statements import Period, statement_generate, statements_for
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
    assert page.count("15 Nov 2026") == 2
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


def test_the_account_page_parts_list_statements_and_headroom(importer, importer_account, deferment):
    _charges(importer, 3)
    _statement(deferment)
    html = render_to_string(
        "payments/statements/_list.html", {"statements": statements_for(importer_account)}
    ) + render_to_string("payments/facilities/_list.html", {"facilities": facilities_for(importer_account)})
    assert "October 2026" in html and "300.00 GBP" in html
    assert "10,000.00 GBP" in html and "9,700.00 GBP" in html and "(3 %)" in html
