"""Release waits for money: consolidation releases only when the charges are paid or secured."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from agencies.models import Agency
from clearance import services
from clearance.selectors import release_conditions
from declarations.models import Declaration, Status
from payments.charges import declaration_charge
from payments.ledger import Leg, ledger_account, post, trader_ledger_account
from payments.models import Facility, FacilityKind, LedgerAccountKind, Security, TransactionKind
from tests.agencies.fixtures import TEA, client_for, item, payload_with

pytestmark = pytest.mark.django_db


def _routed_with_charge(importer, capture, amount: str) -> Declaration:
    Agency.objects.update(auto_decide=True)
    with capture(execute=False):
        response = client_for(importer).post(
            "/api/v1/declarations", payload_with(item(1, TEA)), format="json"
        )
    declaration = Declaration.objects.get(mrn=response.json()["mrn"])
    declaration_charge(declaration=declaration, amounts={"A00": Decimal(amount)})
    services.declaration_route(declaration_id=declaration.pk)
    declaration.refresh_from_db()
    return declaration


def _pay(declaration: Declaration, amount: str) -> None:
    post(
        kind=TransactionKind.PAYMENT,
        trader_account=declaration.trader_account,
        legs=[
            Leg(ledger_account(LedgerAccountKind.BANK, code="main"), debit=Decimal(amount)),
            Leg(
                trader_ledger_account(declaration.trader_account),
                credit=Decimal(amount),
                declaration_id=declaration.pk,
            ),
        ],
    )


def test_every_agency_approves_but_the_declaration_waits_until_its_duties_are_paid(
    importer, agencies, django_capture_on_commit_callbacks
):
    declaration = _routed_with_charge(importer, django_capture_on_commit_callbacks, "120.00")
    assert declaration.status == Status.IN_REVIEW
    conditions = {c.key: c for c in release_conditions(declaration, reviews=list(declaration.reviews.all()))}
    assert conditions["reviews"].met and not conditions["money"].met
    assert "120.00 GBP to be paid or secured" in conditions["money"].detail

    _pay(declaration, "100.00")  # part payment: still waiting
    assert services.declaration_consolidate(declaration_id=declaration.pk) is None

    _pay(declaration, "20.00")
    decision = services.declaration_consolidate(declaration_id=declaration.pk)
    assert decision is not None and decision.outcome == "released"


def test_a_security_on_a_guarantee_lets_the_goods_go_without_payment(
    importer, importer_account, agencies, django_capture_on_commit_callbacks
):
    declaration = _routed_with_charge(importer, django_capture_on_commit_callbacks, "75.50")
    guarantee = Facility.objects.create(
        trader_account=declaration.trader_account,
        kind=FacilityKind.GUARANTEE,
        reference="GRN-DEMO-1",
        limit=Decimal("10000"),
        currency="GBP",
        valid_from=date(2026, 1, 1),
    )
    Security.objects.create(
        facility=guarantee, declaration=declaration, amount=Decimal("75.50"), currency="GBP"
    )
    decision = services.declaration_consolidate(declaration_id=declaration.pk)
    assert decision is not None and decision.outcome == "released"


def test_the_trader_and_the_supervisor_see_which_condition_is_still_open(
    client, importer, supervisor, agencies, django_capture_on_commit_callbacks
):
    declaration = _routed_with_charge(importer, django_capture_on_commit_callbacks, "42.00")
    for user, url in (
        (importer, reverse("declarations:detail", args=[declaration.mrn])),
        (supervisor, reverse("clearance:declaration", args=[declaration.mrn])),
    ):
        client.force_login(user)
        text = client.get(url).content.decode()
        assert "What the release waits for" in text
        assert 'condition--open" data-condition="money"' in text
        assert "42.00 GBP to be paid or secured" in text
        assert 'condition--met" data-condition="reviews"' in text


def test_the_declaration_api_says_what_is_owed_and_that_the_goods_wait_for_it(
    importer, agencies, django_capture_on_commit_callbacks
):
    declaration = _routed_with_charge(importer, django_capture_on_commit_callbacks, "42.00")
    payment = client_for(importer).get(f"/api/v1/declarations/{declaration.mrn}").json()["payment"]
    assert payment["state"] == "due" and payment["outstanding"] == "42.00" and payment["charged"] == "42.00"
    assert payment["open_condition"] == "Duties and fees of 42.00 GBP to be paid or secured."
    _pay(declaration, "42.00")
    payment = client_for(importer).get(f"/api/v1/declarations/{declaration.mrn}").json()["payment"]
    assert (payment["state"], payment["outstanding"], payment["open_condition"]) == ("paid", "0.00", "")
