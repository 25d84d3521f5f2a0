"""Every payments page and endpoint, tried by everyone who is not the account's: the same 404 as
for what does not exist, whatever id is changed in the URL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.access import account_add_member
from payments import facilities
from payments.facilities import declaration_secure
from payments.models import FacilityKind, Payment, PaymentMethod, PaymentStatus
from payments.payments import payment_start
from payments.statements import Period, statement_generate
from tests.factories import TraderAccountFactory, UserFactory
from tests.payments.facilities_support import charged as charged_with
from tests.payments.facilities_support import facility, lodged

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _methods(monkeypatch):
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: {"E"})


@pytest.fixture
def officer(db):
    return UserFactory(username="officer-x", role="officer")


@pytest.fixture
def unauthorised_broker(db):
    account = TraderAccountFactory(eori="GB888888888888", name="Other Brokers Ltd")
    user = UserFactory(username="broker-x", role="broker")
    account_add_member(account=account, user=user)
    return user


@pytest.fixture
def cashier(db):
    return UserFactory(username="cashier-x", role="cashier")


@pytest.fixture
def transfer(importer, charged) -> Payment:
    return payment_start(
        user=importer,
        trader_account=charged.trader_account,
        allocations=[(charged, "10.00")],
        method=PaymentMethod.BANK_TRANSFER,
    )


@pytest.fixture
def statement(importer, importer_account):
    deferment = facility(
        importer_account, kind=FacilityKind.DEFERMENT, reference="DAN7654321", limit="1000.00"
    )
    with time_machine.travel(date(2026, 10, 12), tick=False):
        declaration_secure(declaration=charged_with(lodged(importer), "100.00"), amount=Decimal("100.00"))
    with time_machine.travel(date(2026, 11, 1), tick=False):
        made = statement_generate(facility=deferment, period=Period.month(2026, 10))
    assert made is not None
    return made


def _pages(charged, transfer, statement) -> list[tuple[str, str]]:
    account = charged.trader_account_id
    return [
        ("get", reverse("payments:account", args=[account])),
        ("get", reverse("payments:account_ledger_csv", args=[account])),
        ("get", reverse("payments:statement", args=[account, statement.pk])),
        ("post", reverse("payments:statement", args=[account, statement.pk])),
        ("get", reverse("payments:pay", args=[charged.mrn])),
        ("post", reverse("payments:pay", args=[charged.mrn])),
        ("get", reverse("payments:detail", args=[transfer.pk])),
        ("post", reverse("payments:cancel", args=[transfer.pk])),
        ("get", f"/api/v1/payments/{transfer.pk}"),
        ("post", f"/api/v1/declarations/{charged.mrn}/payments"),
        ("get", f"/api/v1/accounts/{account}/ledger"),
        ("get", f"/api/v1/accounts/{account}/statements"),
    ]


def _missing() -> list[tuple[str, str]]:
    return [
        ("get", reverse("payments:account", args=[999999])),
        ("get", reverse("payments:account_ledger_csv", args=[999999])),
        ("get", reverse("payments:statement", args=[999999, 999999])),
        ("get", reverse("payments:pay", args=["26GB000000000000X9"])),
        ("get", reverse("payments:detail", args=[999999])),
        ("post", reverse("payments:cancel", args=[999999])),
        ("get", "/api/v1/payments/999999"),
        ("post", "/api/v1/declarations/26GB000000000000X9/payments"),
        ("get", "/api/v1/accounts/999999/ledger"),
        ("get", "/api/v1/accounts/999999/statements"),
    ]


def _call(client, method: str, url: str):
    if method == "post":
        if url.startswith("/api/"):
            return client.post(url, {"method": "bank_transfer"}, content_type="application/json")
        return client.post(url, {"method": "bank_transfer"})
    return client.get(url)


@pytest.mark.parametrize("persona", ["outsider", "officer", "unauthorised_broker", "exporter"])
def test_nobody_outside_the_account_reaches_any_of_its_money_pages_or_endpoints(
    client, request, persona, charged, transfer, statement
):
    client.force_login(request.getfixturevalue(persona))
    for method, url in _pages(charged, transfer, statement):
        answer = _call(client, method, url)
        assert answer.status_code == 404, (method, url, answer.status_code)
    for method, url in _missing():
        assert _call(client, method, url).status_code == 404, (method, url)
    transfer.refresh_from_db()
    assert transfer.status == PaymentStatus.AWAITING_FUNDS
    assert Payment.objects.count() == 1


def test_a_missing_and_a_foreign_payment_answer_the_same_in_the_api(client, outsider, transfer):
    client.force_login(outsider)
    foreign = client.get(f"/api/v1/payments/{transfer.pk}")
    missing = client.get("/api/v1/payments/999999")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


@pytest.mark.parametrize("persona", ["cashier", "supervisor"])
def test_customs_staff_see_the_money_but_cannot_pay_or_cancel_for_the_trader(
    client, request, persona, charged, transfer, statement
):
    client.force_login(request.getfixturevalue(persona))
    account = charged.trader_account_id
    assert client.get(reverse("payments:account", args=[account])).status_code == 200
    assert client.get(reverse("payments:detail", args=[transfer.pk])).status_code == 200

    assert client.get(reverse("payments:pay", args=[charged.mrn])).status_code == 404
    assert _call(client, "post", f"/api/v1/declarations/{charged.mrn}/payments").status_code == 404
    assert (
        _call(client, "post", reverse("payments:statement", args=[account, statement.pk])).status_code == 404
    )
    client.post(reverse("payments:cancel", args=[transfer.pk]))
    transfer.refresh_from_db()
    assert transfer.status == PaymentStatus.AWAITING_FUNDS
    assert Payment.objects.count() == 1


def test_a_trader_cannot_open_another_accounts_statement_under_its_own_account_id(
    client, exporter, exporter_account, statement
):
    client.force_login(exporter)
    url = reverse("payments:statement", args=[exporter_account.pk, statement.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"method": "bank_transfer"}).status_code == 404


@pytest.mark.parametrize("persona", ["importer", "broker"])
def test_the_traders_side_cannot_confirm_a_transfer_at_the_cashiers_desk(client, request, persona, transfer):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("payments:cashier-confirm", args=[transfer.pk])
    answer = client.post(url, {"amount": "10.00", "value_date": "2026-12-01", "bank_reference": "B1"})

    assert answer.status_code == 404
    transfer.refresh_from_db()
    assert transfer.status == PaymentStatus.AWAITING_FUNDS


def test_anonymous_users_are_sent_to_sign_in_and_the_api_refuses_them(client, charged, transfer):
    for method, url in _pages(charged, transfer, statement=type("S", (), {"pk": 1})()):
        answer = _call(client, method, url)
        assert answer.status_code in (302, 401, 403), (method, url, answer.status_code)
    assert Payment.objects.count() == 1


def test_an_agency_officer_reading_the_declaration_in_the_api_sees_no_money_of_the_trader(
    client, importer, importer_account, uk_tariff
):
    from datetime import timedelta

    from django.utils import timezone

    from agencies.access import agency_add_officer
    from agencies.models import AgencyReview
    from declarations.models import GoodsItem, Status
    from payments.assessment import assess
    from payments.charges import declaration_charge
    from tests.payments.tariff_fixtures import declaration_with, item

    plant = uk_tariff["plant-health"]
    declaration = declaration_with(
        importer, importer_account, item(1, "07099310"), item(2, "85109000"), status=Status.IN_REVIEW
    )
    review = AgencyReview.objects.create(
        declaration=declaration, agency=plant, due_at=timezone.now() + timedelta(days=1)
    )
    review.items.set(GoodsItem.objects.filter(declaration=declaration, sequence=1))
    officer = UserFactory(username="plant_officer_api", role="officer")
    agency_add_officer(agency=plant, user=officer)
    assess(declaration, agencies={plant: [1], uk_tariff["standards"]: [2]})
    declaration_charge(declaration=declaration, amounts={"A00": Decimal("4321.09")})
    payment_start(
        user=importer,
        trader_account=importer_account,
        allocations=[(declaration, None)],
        method="bank_transfer",
    )

    client.force_login(officer)
    answer = client.get(f"/api/v1/declarations/{declaration.mrn}")

    assert answer.status_code == 200
    assert "4321.09" not in answer.content.decode()
    assert answer.json().get("payment") is None
    assert "SWP-" not in answer.content.decode()


def test_every_payments_post_but_the_provider_callback_needs_the_csrf_token(
    importer, charged, transfer, statement
):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(importer)
    for method, url in _pages(charged, transfer, statement):
        if method != "post":
            continue
        answer = _call(client, method, url)
        assert answer.status_code == 403, (url, answer.status_code)
    answer = client.post(
        reverse("payments:provider-callback", args=["testpay"]), b"{}", content_type="application/json"
    )
    assert answer.status_code == 403 and answer.json()["errors"][0]["code"] == "callback_signature_invalid"
    transfer.refresh_from_db()
    assert transfer.status == PaymentStatus.AWAITING_FUNDS and Payment.objects.count() == 1
