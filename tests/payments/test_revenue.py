"""Customs' revenue page: revenue per day and tax type, money received, outstanding debts, as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db.models import F, Sum
from django.urls import reverse

from payments.ledger import Leg, ledger_account, post, trader_ledger_account
from payments.ledger import reverse as ledger_reverse
from payments.models import Entry, LedgerAccountKind, TransactionKind
from payments.selectors import debtors, debts_of, received_by_day_and_method, revenue_by_day_and_tax
from tests.factories import TraderAccountFactory, UserFactory

from .ledger_data import charge_on, pay_on

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 12, 3)
URL = "/payments/revenue/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-12-03 10:00:00+00:00", tick=False):
        yield


@pytest.fixture
def cashier(db):
    return UserFactory(username="cashier", role="cashier")


def _days(n: int) -> date:
    return TODAY - timedelta(days=n)


def _adjust(account, code: str, amount: str, *, on: date):
    """A lower re-assessment: revenue debited, the trader credited."""
    value = D(amount)
    return post(
        kind=TransactionKind.ADJUSTMENT,
        trader_account=account,
        legs=[
            Leg(ledger_account(LedgerAccountKind.REVENUE, code=code), debit=value),
            Leg(trader_ledger_account(account), credit=value),
        ],
        booked_on=on,
    )


def _some_revenue(importer_account):
    other = TraderAccountFactory(eori="GB777777777777", name="Other Ltd")
    charge_on(importer_account, "100.00", on=_days(3), code="A00")
    charge_on(importer_account, "20.00", on=_days(3), code="B00")
    charge_on(other, "50.00", on=_days(2), code="B00")
    charge_on(other, "7.50", on=_days(2), code="FEE:plant-health")
    _adjust(importer_account, "A00", "10.00", on=_days(1))
    cancelled = charge_on(other, "30.00", on=_days(1), code="A00")
    ledger_reverse(txn=cancelled)  # booked today
    charge_on(importer_account, "999.00", on=_days(40), code="A00")  # outside the 30 days
    pay_on(importer_account, "60.00", on=_days(2))
    pay_on(other, "57.50", on=_days(1), method=LedgerAccountKind.PROVIDER, code="testpay")
    return other


# --- Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["supervisor", "cashier"])
def test_supervisors_and_cashiers_see_revenue(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == 200
    assert 'aria-current="page">Revenue</a>' in response.text
    assert client.get(reverse("payments:revenue_csv", args=["debts"])).status_code == 200


def test_an_administrator_sees_revenue(client):
    client.force_login(UserFactory(username="admin", role="admin"))
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("persona", ["importer", "broker"])
def test_traders_and_brokers_get_404(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 404
    assert client.get(reverse("payments:revenue_csv", args=["revenue"])).status_code == 404


def test_an_officer_gets_404_and_no_revenue_link(client):
    client.force_login(UserFactory(username="officer", role="officer"))
    assert client.get(URL).status_code == 404
    assert 'href="/payments/revenue/"' not in client.get("/").text


def test_a_cashier_may_open_any_trader_account(client, cashier, importer_account):
    client.force_login(cashier)
    assert client.get(reverse("payments:account", args=[importer_account.pk])).status_code == 200


# --- Revenue ----------------------------------------------------------------------------------


def test_revenue_per_day_and_tax_type_is_net_of_adjustments_and_reversals(importer_account):
    _some_revenue(importer_account)
    pivot = revenue_by_day_and_tax(date_from=_days(29), date_to=TODAY)
    assert pivot.columns == ["A00", "B00", "FEE:plant-health"]
    assert [(day, amounts, total) for day, amounts, total in pivot.rows] == [
        (_days(3), [D("100.00"), D("20.00"), D(0)], D("120.00")),
        (_days(2), [D(0), D("50.00"), D("7.50")], D("57.50")),
        (_days(1), [D("20.00"), D(0), D(0)], D("20.00")),  # 30.00 charged less 10.00 adjusted
        (TODAY, [D("-30.00"), D(0), D(0)], D("-30.00")),  # the reversal of the 30.00
    ]
    assert pivot.column_totals == [D("90.00"), D("70.00"), D("7.50")]
    assert pivot.total == D("167.50")


def test_revenue_totals_equal_the_entries_on_revenue_accounts(importer_account):
    _some_revenue(importer_account)
    for start in (_days(29), _days(60), _days(2)):
        pivot = revenue_by_day_and_tax(date_from=start, date_to=TODAY)
        entries = Entry.objects.filter(
            account__kind=LedgerAccountKind.REVENUE, transaction__booked_on__range=(start, TODAY)
        ).aggregate(net=Sum(F("credit") - F("debit")))
        assert pivot.total == (entries["net"] or 0)
        assert sum(total for _day, _amounts, total in pivot.rows) == pivot.total


def test_money_received_per_day_and_method(importer_account):
    _some_revenue(importer_account)
    pivot = received_by_day_and_method(date_from=_days(29), date_to=TODAY)
    assert pivot.columns == ["bank:main", "provider:testpay"]
    assert [(day, total) for day, _amounts, total in pivot.rows] == [
        (_days(2), D("60.00")),
        (_days(1), D("57.50")),
    ]
    assert pivot.total == D("117.50")


def test_the_page_shows_the_totals_the_labels_and_a_chart_with_its_title(
    client, supervisor, importer_account
):
    _some_revenue(importer_account)
    client.force_login(supervisor)
    response = client.get(URL)
    text = response.text
    assert "Total: 167.50 GBP" in text and "Total: 117.50 GBP" in text
    assert "A00 Customs duty (UK)" in text and "B00 VAT (UK)" in text and "Fee: plant-health" in text
    assert "Card (testpay)" in text
    assert '<title id="revenue-chart-title">Revenue collected per day</title>' in text
    assert 'aria-labelledby="revenue-chart-title revenue-chart-desc"' in text


def test_a_period_longer_than_two_months_is_charted_per_month(client, supervisor, importer_account):
    _some_revenue(importer_account)
    client.force_login(supervisor)
    response = client.get(URL, {"date_from": "2026-01-01", "date_to": "2026-12-31"})
    assert "Revenue collected per month" in response.text
    assert len(response.context["chart"].labels) == 12


def test_a_reversed_date_range_is_an_error_beside_its_field(client, supervisor):
    client.force_login(supervisor)
    response = client.get(URL, {"date_from": "2026-12-03", "date_to": "2026-11-01"})
    assert "The end date must be the same as or after the start date." in response.text
    assert response.context["period"].date_to == TODAY  # the default days are shown meanwhile


# --- Debts ------------------------------------------------------------------------------------


def test_debts_settle_the_oldest_charges_first_and_count_what_is_overdue(importer_account):
    charge_on(importer_account, "100.00", on=_days(60), due_on=_days(30))
    charge_on(importer_account, "40.00", on=_days(20), due_on=_days(5))
    charge_on(importer_account, "25.00", on=_days(2), due_on=TODAY + timedelta(days=20))
    pay_on(importer_account, "110.00", on=_days(10))  # pays the 100 and 10 of the 40
    other = TraderAccountFactory(eori="GB777777777777")
    pay_on(other, "5.00", on=_days(1))  # in credit: no debt
    [debt] = debts_of(list(debtors()), today=TODAY)
    assert debt.account == importer_account
    assert debt.balance == D("55.00")
    assert debt.oldest_due == _days(5)
    assert debt.overdue == D("30.00")  # the rest of the 40; the 25 is not due yet


def test_the_debts_table_links_each_account(client, supervisor, importer_account):
    charge_on(importer_account, "12.00", on=_days(9), due_on=_days(1))
    client.force_login(supervisor)
    response = client.get(URL)
    assert f'href="{reverse("payments:account", args=[importer_account.pk])}"' in response.text
    assert "Overdue" in response.text


# --- CSV --------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_each_table_downloads_as_csv(client, supervisor, importer_account):
    _some_revenue(importer_account)
    charge_on(importer_account, "1.00", on=_days(9), due_on=_days(1))
    client.force_login(supervisor)
    period = {"date_from": _days(29).isoformat(), "date_to": TODAY.isoformat()}
    revenue = _csv(client.get(reverse("payments:revenue_csv", args=["revenue"]), period))
    assert revenue[0] == [
        "Date",
        "A00 Customs duty (UK)",
        "B00 VAT (UK)",
        "Fee: plant-health",
        "Total",
        "Currency",
    ]
    assert revenue[-1] == [TODAY.isoformat(), "-30.00", "0.00", "0.00", "-30.00", "GBP"]
    received = _csv(client.get(reverse("payments:revenue_csv", args=["received"]), period))
    assert received[1] == [_days(2).isoformat(), "60.00", "0.00", "60.00", "GBP"]
    debts = _csv(client.get(reverse("payments:revenue_csv", args=["debts"])))
    assert debts[0] == ["Trader", "EORI", "Owed", "Oldest due", "Overdue", "Currency"]
    assert debts[1][:2] == ["Clippers Import Ltd", importer_account.eori]
    assert client.get(reverse("payments:revenue_csv", args=["secrets"])).status_code == 404


def test_a_trader_name_that_looks_like_a_formula_is_escaped_in_the_debts_csv(client, supervisor):
    account = TraderAccountFactory(eori="GB666666666666", name="=cmd|' /C calc'!A0")
    charge_on(account, "3.00", on=TODAY)
    client.force_login(supervisor)
    debts = _csv(client.get(reverse("payments:revenue_csv", args=["debts"])))
    assert debts[1][0] == "'=cmd|' /C calc'!A0"


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("traders", [1, 30])
def test_the_page_takes_the_same_number_of_queries_whatever_the_number_of_rows(
    client, supervisor, django_assert_num_queries, traders
):
    for i in range(traders):
        account = TraderAccountFactory(eori=f"GB5{i:011d}")
        charge_on(account, f"{i + 1}.00", on=_days(i % 20), code="A00" if i % 2 else "B00", due_on=_days(1))
        pay_on(account, "0.50", on=_days(i % 20))
    client.force_login(supervisor)
    client.get(URL)
    # The session, the user, its second factor, its groups, revenue, money received, the debtors
    # (count, page), their debits, the header's accounts and unread notifications.
    with django_assert_num_queries(11):
        assert client.get(URL).status_code == 200


@pytest.mark.parametrize("traders", [1, 30])
@pytest.mark.parametrize("table", ["revenue", "received", "debts"])
def test_each_csv_takes_the_same_number_of_queries_whatever_the_number_of_rows(
    client, supervisor, django_assert_num_queries, traders, table
):
    for i in range(traders):
        account = TraderAccountFactory(eori=f"GB5{i:011d}")
        charge_on(account, f"{i + 1}.00", on=_days(i % 20), due_on=_days(1))
        pay_on(account, "0.50", on=_days(i % 20))
    client.force_login(supervisor)
    client.get(URL)
    # The session, the user, its second factor, its groups, then one query (two for the debts:
    # the debtors and their debits).
    with django_assert_num_queries(6 if table == "debts" else 5):
        response = client.get(reverse("payments:revenue_csv", args=[table]))
        lines = b"".join(response.streaming_content).count(b"\r\n")
    assert lines == (traders + 1 if table == "debts" else min(traders, 20) + 1)
