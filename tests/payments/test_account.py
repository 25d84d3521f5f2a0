"""The trader account page: who sees it, the ledger with its running balance, the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.access import account_add_member
from payments import facilities
from payments.facilities import declaration_secure
from payments.ledger import reverse as ledger_reverse
from payments.ledger import trader_balance
from payments.models import FacilityKind, TransactionKind
from payments.selectors import LedgerFilter, ledger_entries, ledger_rows
from payments.statements import Period, statement_generate
from payments.views_account import PAGE_SIZE
from tests.factories import TraderAccountFactory, UserFactory

from .facilities_support import charged, facility
from .facilities_support import lodged as support_lodged
from .ledger_data import charge, charge_on, lodged, pay_on

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 12, 3)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-12-03 10:00:00+00:00", tick=False):
        yield


def _url(account) -> str:
    return reverse("payments:account", args=[account.pk])


def _csv_url(account) -> str:
    return reverse("payments:account_ledger_csv", args=[account.pk])


def _many_entries(account, count: int) -> list[D]:
    """``count`` entries over several days, several on one day, charges and payments; their amounts
    on the account, in the order they were booked (debit positive)."""
    effects = []
    for i in range(count):
        day = TODAY - timedelta(days=count // 3 - i // 3)  # three entries a day
        if i % 3 == 2:
            pay_on(account, f"{i + 1}.25", on=day, reference=f"PAY-{i}")
            effects.append(-D(f"{i + 1}.25"))
        else:
            charge_on(account, f"{10 * (i + 1)}.10", on=day, reference=f"CHG-{i}")
            effects.append(D(f"{10 * (i + 1)}.10"))
    return effects


def _expected_balances(effects: list[D]) -> list[D]:
    """The balance after each entry, newest first (the page's order)."""
    running, balances = D(0), []
    for effect in effects:
        running += effect
        balances.append(running)
    return balances[::-1]


# --- Access -----------------------------------------------------------------------------------


def test_a_member_of_the_account_sees_its_page(client, importer, importer_account):
    client.force_login(importer)
    response = client.get(_url(importer_account))
    assert response.status_code == 200
    assert importer_account.eori in response.text and "Nothing owed" in response.text


def test_an_authorised_broker_sees_the_account_it_represents(client, broker, importer_account):
    client.force_login(broker)
    assert client.get(_url(importer_account)).status_code == 200
    assert client.get(_csv_url(importer_account)).status_code == 200


def test_a_supervisor_sees_any_account(client, supervisor, importer_account):
    client.force_login(supervisor)
    assert client.get(_url(importer_account)).status_code == 200


def test_an_outsider_gets_404_for_another_traders_account(client, outsider, importer_account):
    client.force_login(outsider)
    assert client.get(_url(importer_account)).status_code == 404
    assert client.get(_csv_url(importer_account)).status_code == 404
    assert client.get(reverse("payments:account", args=[987654])).status_code == 404


def test_a_broker_not_authorised_for_the_account_gets_404(client, broker_account):
    other = TraderAccountFactory(eori="GB888888888888")
    stranger = UserFactory(username="other-broker", role="broker")
    account_add_member(account=broker_account, user=stranger)
    client.force_login(stranger)
    assert client.get(_url(other)).status_code == 404
    assert client.get(_url(broker_account)).status_code == 200


def test_an_agency_officer_gets_404(client, importer_account):
    officer = UserFactory(username="officer", role="officer")
    client.force_login(officer)
    assert client.get(_url(importer_account)).status_code == 404


def test_signed_out_is_sent_to_sign_in(client, importer_account):
    response = client.get(_url(importer_account))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- The running balance ----------------------------------------------------------------------


def test_the_running_balance_is_right_on_every_page(client, importer, importer_account):
    count = PAGE_SIZE + 7
    effects = _many_entries(importer_account, count)
    expected = _expected_balances(effects)
    client.force_login(importer)
    first = client.get(_url(importer_account)).context["rows"]
    second = client.get(_url(importer_account), {"page": 2}).context["rows"]
    assert [r.balance for r in first] == expected[:PAGE_SIZE]
    assert [r.balance for r in second] == expected[PAGE_SIZE:]
    assert len(second) == 7
    # Newest first, in a stable order: one day's entries newest transaction first.
    rows = [*first, *second]
    assert [(r.booked_on, r.transaction_id) for r in rows] == sorted(
        ((r.booked_on, r.transaction_id) for r in rows), reverse=True
    )


def test_filters_keep_the_running_balance_of_the_whole_account(importer_account):
    effects = _many_entries(importer_account, 12)
    expected = _expected_balances(effects)  # newest first
    everything = list(ledger_rows(ledger_entries(importer_account)))
    by_entry = dict(zip([r.entry_id for r in everything], expected, strict=True))
    payments = list(ledger_rows(ledger_entries(importer_account, LedgerFilter(kind=TransactionKind.PAYMENT))))
    assert payments and all(r.kind == TransactionKind.PAYMENT for r in payments)
    assert all(r.balance == by_entry[r.entry_id] for r in payments)
    since = TODAY - timedelta(days=1)
    until = TODAY - timedelta(days=1)
    window = list(ledger_rows(ledger_entries(importer_account, LedgerFilter(date_from=since, date_to=until))))
    assert {r.booked_on for r in window} == {since} and len(window) == 3
    assert all(r.balance == by_entry[r.entry_id] for r in window)


def test_the_filter_form_narrows_the_page_by_kind_and_dates(client, importer, importer_account):
    _many_entries(importer_account, 9)
    client.force_login(importer)
    rows = client.get(_url(importer_account), {"kind": "payment"}).context["rows"]
    assert len(rows) == 3 and {r.kind for r in rows} == {"payment"}
    response = client.get(_url(importer_account), {"date_from": "2026-12-03", "date_to": "2026-12-01"})
    assert "The end date must be the same as or after the start date." in response.text
    assert len(response.context["rows"]) == 9  # a bad filter filters nothing


amounts = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(["charge", "payment", "reverse"]), amounts, st.integers(0, 40)), max_size=15
    )
)
def test_the_page_balance_equals_trader_balance_and_the_sum_of_its_rows(
    client, importer, importer_account, ops
):
    """Property: whatever is posted, on whichever days, the balance the page shows is
    ``trader_balance``, the sum of every row's debit less credit, and the newest row's running
    balance."""
    from django.db import transaction

    with transaction.atomic():
        posted = []
        for op, amount, days_ago in ops:
            day = TODAY - timedelta(days=days_ago)
            if op == "charge":
                posted.append(charge_on(importer_account, str(amount), on=day))
            elif op == "payment":
                posted.append(pay_on(importer_account, str(amount), on=day))
            elif posted:
                ledger_reverse(txn=posted.pop(0))
        client.force_login(importer)
        response = client.get(_url(importer_account))
        balance = response.context["balance"]
        rows = list(ledger_rows(ledger_entries(importer_account)))
        assert balance == trader_balance(importer_account)
        assert balance == sum((r.debit - r.credit for r in rows), D(0))
        if rows:
            assert rows[0].balance == balance
            assert response.context["rows"][0].balance == balance
        transaction.set_rollback(True)


def test_a_broker_sees_the_mrns_of_declarations_it_did_not_lodge_without_a_link(
    client, importer, broker, importer_account
):
    declaration = lodged(importer)
    charge(declaration, {"A00": "27.00"})
    detail = reverse("declarations:detail", args=[declaration.mrn])
    client.force_login(broker)
    response = client.get(_url(importer_account))
    assert declaration.mrn in response.text and f'href="{detail}"' not in response.text
    client.force_login(importer)
    assert f'href="{detail}"' in client.get(_url(importer_account)).text


def test_an_mrn_links_to_the_declaration_and_the_memo_is_the_description(client, importer, importer_account):
    declaration = lodged(importer)
    charge(
        declaration,
        {"A00": "27.00", "B00": "205.40"},
        memo="Duties and VAT",
        due_on=TODAY + timedelta(days=10),
    )
    client.force_login(importer)
    response = client.get(_url(importer_account))
    detail = reverse("declarations:detail", args=[declaration.mrn])
    assert f'href="{detail}"' in response.text
    assert "Duties and VAT" in response.text
    assert "232.40 GBP owed" in response.text


# --- Query counts -----------------------------------------------------------------------------

# The session, the user, its groups, the account, the ledger (count, page), the declarations (count,
# page), which of them the user may open, the chart, the balance, the facilities, the statements,
# the header's accounts and unread notifications.
PAGE_QUERIES = 15


@pytest.mark.parametrize("entries", [3, PAGE_SIZE + 5])
def test_the_page_takes_the_same_number_of_queries_whatever_the_number_of_rows(
    client, importer, importer_account, django_assert_num_queries, monkeypatch, entries
):
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: {"E"})
    deferment = facility(
        importer_account, kind=FacilityKind.DEFERMENT, reference="DAN1234567", limit="9000.00"
    )
    facility(importer_account, kind=FacilityKind.GUARANTEE, reference="GUA1234567")
    with time_machine.travel("2026-11-10 10:00:00+00:00", tick=False):
        for _ in range(entries // 3 + 1):
            declaration = charged(support_lodged(importer), "10.00")
            assert declaration_secure(declaration=declaration, amount=D("10.00")).secured
    assert statement_generate(facility=deferment, period=Period.month(2026, 11)) is not None
    _many_entries(importer_account, entries)
    client.force_login(importer)
    client.get(_url(importer_account))  # the session and the user's groups, once
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(_url(importer_account), {"page": 2 if entries > PAGE_SIZE else 1})
    assert response.status_code == 200
    assert len(response.context["headroom"]) == 2 and len(response.context["statements"]) == 1
    assert response.context["declaration_rows"]


@pytest.mark.parametrize("entries", [3, 40])
def test_the_csv_takes_the_same_number_of_queries_whatever_the_number_of_rows(
    client, importer, importer_account, django_assert_num_queries, entries
):
    _many_entries(importer_account, entries)
    client.force_login(importer)
    with django_assert_num_queries(5):
        response = client.get(_csv_url(importer_account))
        body = b"".join(response.streaming_content)
    assert body.count(b"\r\n") == entries + 1


# --- CSV --------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # a byte-order mark: spreadsheets read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_has_the_pages_rows_with_plain_decimal_amounts(client, importer, importer_account):
    charge_on(importer_account, "1234.50", on=TODAY - timedelta(days=2), reference="CHG-1", memo="Duty é")
    pay_on(importer_account, "2000.00", on=TODAY - timedelta(days=1), reference="PAY-1")
    client.force_login(importer)
    response = client.get(_csv_url(importer_account))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ledger-GB553202734852-2026-12-03.csv"'
    header, *rows = _csv(response)
    assert header == [
        "Date",
        "Due",
        "Kind",
        "Reference",
        "Description",
        "Debit",
        "Credit",
        "Balance",
        "Currency",
    ]
    assert rows == [
        ["2026-12-02", "", "Payment", "PAY-1", "Payment", "", "2000.00", "-765.50", "GBP"],
        ["2026-12-01", "", "Charge", "CHG-1", "Duty é", "1234.50", "", "1234.50", "GBP"],
    ]


def test_the_csv_follows_the_pages_filters(client, importer, importer_account):
    _many_entries(importer_account, 9)
    client.force_login(importer)
    _header, *rows = _csv(client.get(_csv_url(importer_account), {"kind": "payment"}))
    assert len(rows) == 3 and {r[2] for r in rows} == {"Payment"}


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd"])
def test_a_cell_a_spreadsheet_would_read_as_a_formula_is_escaped(client, importer, importer_account, text):
    charge_on(importer_account, "5.00", on=TODAY, memo=text, reference=text[:10])
    client.force_login(importer)
    _header, row = _csv(client.get(_csv_url(importer_account)))
    assert row[4] == "'" + text and row[3] == "'" + text[:10]
    assert row[5] == "5.00"


def test_a_negative_balance_stays_a_number_in_the_csv(client, importer, importer_account):
    pay_on(importer_account, "12.00", on=TODAY)
    client.force_login(importer)
    _header, row = _csv(client.get(_csv_url(importer_account)))
    assert row[7] == "-12.00"


# --- The chart --------------------------------------------------------------------------------


def test_the_chart_is_an_svg_image_with_a_title_and_a_description_and_the_table_beside_it(
    client, importer, importer_account
):
    charge_on(importer_account, "300.00", on=date(2026, 10, 5))
    pay_on(importer_account, "120.00", on=date(2026, 10, 20))
    charge_on(importer_account, "45.00", on=date(2025, 12, 31))  # thirteen months ago: left out
    client.force_login(importer)
    response = client.get(_url(importer_account))
    text = response.text
    svg = text[text.index('<svg class="chart"') : text.index("</svg>") + 6]
    assert 'role="img"' in svg and 'aria-labelledby="monthly-chart-title monthly-chart-desc"' in svg
    assert '<title id="monthly-chart-title">Charges and payments, last 12 months</title>' in svg
    assert "from January 2026 to December 2026" in svg and "300.00 charged and 120.00 paid" in svg
    assert "style=" not in svg and "<script" not in svg  # the site's CSP allows neither
    assert svg.count("<rect") == 2 * 12 + 2  # two bars a month and the legend's two swatches
    chart = response.context["chart"]
    assert chart.table_rows[9] == ("Oct", [D("300.00"), D("120.00")])
    assert chart.totals == [D("300.00"), D("120.00")]
    table = text[text.index("<caption>Per month, in GBP</caption>") :]
    assert '<th scope="row">Jan 2026</th>' in table and "300.00" in table


# --- Declarations and their money -------------------------------------------------------------


def test_each_declaration_shows_the_money_status_money_status_gives_it(
    client, importer, importer_account, monkeypatch
):
    """Paid, due, secured, nothing to pay: the page reads them in one query, and agrees with
    ``payments.status.money_status`` for each."""
    from payments.ledger import Leg, ledger_account, post, trader_ledger_account
    from payments.models import LedgerAccountKind
    from payments.status import money_status

    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: {"R"})
    facility(importer_account, kind=FacilityKind.GUARANTEE, reference="GUA1234567", limit="500.00")
    due = charged(support_lodged(importer), "40.00")
    paid = charged(support_lodged(importer), "25.00")
    post(
        kind=TransactionKind.PAYMENT,
        trader_account=importer_account,
        legs=[
            Leg(ledger_account(LedgerAccountKind.BANK), debit=D("25.00")),
            Leg(trader_ledger_account(importer_account), credit=D("25.00"), declaration_id=paid.pk),
        ],
    )
    secured = charged(support_lodged(importer), "60.00")
    assert declaration_secure(declaration=secured, amount=D("60.00")).secured
    nothing = support_lodged(importer)
    client.force_login(importer)
    response = client.get(_url(importer_account))
    states = {d.pk: money.state.value for d, money in response.context["declaration_rows"]}
    assert states == {due.pk: "due", paid.pk: "paid", secured.pk: "secured", nothing.pk: "nothing_due"}
    for declaration, money in response.context["declaration_rows"]:
        assert money.state is money_status(declaration).state
        assert money.outstanding == money_status(declaration).outstanding
    assert "Payment due" in response.text and "Secured" in response.text and "Nothing to pay" in response.text
    assert response.context["headroom"][0].used == D("60.00")


def test_the_declarations_are_filtered_and_paginated_apart_from_the_ledger(
    client, importer, importer_account
):
    from payments.views_account import DECLARATIONS_PAGE_SIZE

    lodged_ones = [charged(support_lodged(importer), "1.00") for _ in range(DECLARATIONS_PAGE_SIZE + 2)]
    client.force_login(importer)
    second = client.get(_url(importer_account), {"dpage": 2})
    assert len(second.context["declaration_rows"]) == 2
    assert second.context["ledger_page"].number == 1  # the ledger stays on its first page
    assert len(second.context["rows"]) == DECLARATIONS_PAGE_SIZE + 2
    assert 'href="?dpage=1#declarations"' in second.text
    one = lodged_ones[0]
    narrowed = client.get(_url(importer_account), {"mrn": one.mrn[-8:]})
    assert [d.pk for d, _money in narrowed.context["declaration_rows"]] == [one.pk]
    refused = client.get(_url(importer_account), {"status": "refused"})
    assert refused.context["declaration_rows"] == [] and "No declaration matches." in refused.text
