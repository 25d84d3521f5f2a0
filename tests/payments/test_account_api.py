"""The trader account's ledger and statements in the API: the page's rows, the page's access."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.services import api_token_create
from payments import facilities
from payments.facilities import declaration_secure
from payments.models import FacilityKind
from payments.statements import Period, statement_generate
from tests.factories import UserFactory

from .facilities_support import charged, facility
from .facilities_support import lodged as support_lodged
from .ledger_data import charge_on, pay_on

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 12, 3)
API_PAGE = 50  # REST_FRAMEWORK["PAGE_SIZE"]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-12-03 10:00:00+00:00", tick=False):
        yield


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user, name='erp')[1]}")
    return client


def _ledger(account) -> str:
    return f"/api/v1/accounts/{account.pk}/ledger"


def _statements(account) -> str:
    return f"/api/v1/accounts/{account.pk}/statements"


def _entries(account, count: int) -> list[D]:
    """``count`` entries, two a day, alternating charges and payments; the balances newest first."""
    running, balances = D(0), []
    for i in range(count):
        day = TODAY - timedelta(days=count // 2 - i // 2)
        if i % 2:
            pay_on(account, f"{i}.50", on=day, reference=f"PAY-{i}")
            running -= D(f"{i}.50")
        else:
            charge_on(account, f"{i + 100}.00", on=day, reference=f"CHG-{i}", due_on=day + timedelta(days=30))
            running += D(f"{i + 100}.00")
        balances.append(running)
    return balances[::-1]


def test_the_ledger_is_paginated_with_the_running_balance_right_on_page_two(importer, importer_account):
    expected = _entries(importer_account, API_PAGE + 6)
    client = _token_client(importer)
    first = client.get(_ledger(importer_account)).json()
    second = client.get(_ledger(importer_account), {"page": 2}).json()
    assert first["count"] == API_PAGE + 6 and first["next"] and second["previous"]
    balances = [D(r["balance"]) for r in first["results"] + second["results"]]
    assert balances == expected
    entry = first["results"][0]
    assert set(entry) == {
        "id",
        "transaction",
        "booked_on",
        "due_on",
        "kind",
        "reference",
        "description",
        "mrn",
        "debit",
        "credit",
        "balance",
        "currency",
    }
    assert entry["debit"] in ("0.00",) or entry["credit"] == "0.00"
    assert isinstance(entry["balance"], str) and entry["currency"] == "GBP"


def test_the_ledger_filters_by_dates_and_kind_keeping_the_balance(importer, importer_account):
    _entries(importer_account, 10)
    client = _token_client(importer)
    everything = {r["id"]: r["balance"] for r in client.get(_ledger(importer_account)).json()["results"]}
    day = (TODAY - timedelta(days=2)).isoformat()
    narrowed = client.get(_ledger(importer_account), {"from": day, "to": day, "kind": "payment"}).json()
    assert narrowed["count"] == 1
    row = narrowed["results"][0]
    assert row["booked_on"] == day and row["kind"] == "payment" and row["balance"] == everything[row["id"]]


@pytest.mark.parametrize(
    "params",
    [{"from": "yesterday"}, {"kind": "gift"}, {"from": "2026-12-03", "to": "2026-12-01"}],
)
def test_a_filter_that_cannot_apply_is_a_400_in_the_api_shape(importer, importer_account, params):
    response = _token_client(importer).get(_ledger(importer_account), params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] in {"from", "to", "kind"}


def test_the_authorised_broker_and_a_cashier_read_the_ledger(broker, importer_account):
    cashier = UserFactory(username="cashier", role="cashier")
    for user in (broker, cashier):
        client = APIClient()
        client.force_authenticate(user)
        assert client.get(_ledger(importer_account)).status_code == 200
        assert client.get(_statements(importer_account)).status_code == 200


def test_an_outsider_and_an_officer_get_404(outsider, importer_account):
    officer = UserFactory(username="officer", role="officer")
    for user in (outsider, officer):
        client = APIClient()
        client.force_authenticate(user)
        for url in (_ledger(importer_account), _statements(importer_account)):
            response = client.get(url)
            assert response.status_code == 404
            assert response.json()["errors"][0]["code"] == "not_found"


def test_signed_out_is_a_401(importer_account):
    assert APIClient().get(_ledger(importer_account)).status_code == 401


def _deferred_statement(importer, account, count: int) -> None:
    deferment = facility(account, kind=FacilityKind.DEFERMENT, reference="DAN1234567", limit="9000.00")
    for month in (10, 11):
        with time_machine.travel(f"2026-{month}-10 10:00:00+00:00", tick=False):
            for _ in range(count):
                declaration = charged(support_lodged(importer), "12.34")
                assert declaration_secure(declaration=declaration, amount=D("12.34")).secured
        assert statement_generate(facility=deferment, period=Period.month(2026, month)) is not None


def test_the_statements_list_each_month_with_its_lines(importer, importer_account, monkeypatch):
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: {"E"})
    _deferred_statement(importer, importer_account, 2)
    body = _token_client(importer).get(_statements(importer_account)).json()
    assert body["count"] == 2
    november = body["results"][0]
    assert november["period_start"] == "2026-11-01" and november["facility"] == "DAN1234567"
    assert november["total"] == "24.68" and november["status"] == "open"
    assert [line["amount"] for line in november["lines"]] == ["12.34", "12.34"]
    assert all(line["mrn"] for line in november["lines"])


@pytest.mark.parametrize("count", [1, 4])
def test_the_statements_take_the_same_number_of_queries_whatever_their_lines(
    importer, importer_account, monkeypatch, django_assert_num_queries, count
):
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: {"E"})
    _deferred_statement(importer, importer_account, count)
    client = APIClient()
    client.force_authenticate(importer)
    # The user's groups, the account, the count, the statements, their lines with declarations.
    with django_assert_num_queries(5):
        assert client.get(_statements(importer_account)).status_code == 200


@pytest.mark.parametrize("count", [3, API_PAGE + 3])
def test_the_ledger_takes_the_same_number_of_queries_whatever_its_length(
    importer, importer_account, django_assert_num_queries, count
):
    _entries(importer_account, count)
    client = APIClient()
    client.force_authenticate(importer)
    # The user's groups, the account, the count, the page.
    with django_assert_num_queries(4):
        assert client.get(_ledger(importer_account), {"kind": "charge"}).status_code == 200
