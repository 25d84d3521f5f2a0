"""Money attacked: odd amounts in every body, money that arrives after the declaration is gone."""

from __future__ import annotations

from decimal import Decimal

import pytest

from declarations.amendments import declaration_cancel
from declarations.models import Channel
from payments.ledger import declaration_balance
from payments.models import LedgerTransaction, Payment, PaymentMethod, TransactionKind
from payments.payments import payment_settle, payment_start
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = Decimal


def test_a_transfer_that_arrives_after_its_declaration_was_cancelled_is_booked_and_refunded(
    importer, charged, django_capture_on_commit_callbacks
):
    transfer = payment_start(
        user=importer,
        trader_account=charged.trader_account,
        allocations=[(charged, None)],
        method=PaymentMethod.BANK_TRANSFER,
    )
    with django_capture_on_commit_callbacks(execute=True):
        declaration_cancel(user=importer, declaration=charged, reason="Not shipped", channel=Channel.WEB_FORM)
    assert declaration_balance(charged.pk) == 0

    cashier = UserFactory(username="cashier-m", role="cashier")
    with django_capture_on_commit_callbacks(execute=True):
        payment_settle(payment_id=transfer.pk, provider_reference="BANK-1", amount=D("232.40"), actor=cashier)

    assert declaration_balance(charged.pk) == 0
    refund = LedgerTransaction.objects.get(kind=TransactionKind.REFUND)
    assert refund.entries.get(account__kind="refunds").credit == D("232.40")


@pytest.mark.parametrize(
    "amount",
    ["abc", "-1", "0", "0.001", "1e40", "NaN", "Infinity", "10,00", "1" * 30, True, [1], {"a": 1}],
)
def test_the_api_refuses_an_odd_amount_and_starts_nothing(client, importer, charged, amount):
    client.force_login(importer)
    answer = client.post(
        f"/api/v1/declarations/{charged.mrn}/payments",
        {"method": "bank_transfer", "amount": amount},
        content_type="application/json",
    )

    assert answer.status_code in (400, 422), (amount, answer.status_code, answer.content[:300])
    assert Payment.objects.count() == 0


def test_the_api_refuses_a_payment_in_another_currency(client, importer, charged):
    client.force_login(importer)
    answer = client.post(
        f"/api/v1/declarations/{charged.mrn}/payments",
        {"method": "bank_transfer", "amount": "100.00", "currency": "EUR"},
        content_type="application/json",
    )

    assert answer.status_code == 400
    assert Payment.objects.count() == 0


def test_the_api_takes_a_payment_in_the_home_currency_named(client, importer, charged):
    client.force_login(importer)
    answer = client.post(
        f"/api/v1/declarations/{charged.mrn}/payments",
        {"method": "bank_transfer", "amount": "100.00", "currency": "gbp"},
        content_type="application/json",
    )

    assert answer.status_code == 201
    assert answer.json()["currency"] == "GBP" and answer.json()["amount"] == "100.00"


def test_a_malformed_json_body_is_a_400(client, importer, charged):
    client.force_login(importer)
    answer = client.post(
        f"/api/v1/declarations/{charged.mrn}/payments",
        b"{not json",
        content_type="application/json",
        headers={"Idempotency-Key": "k-1"},
    )

    assert answer.status_code == 400
    assert Payment.objects.count() == 0


def test_a_statement_with_a_refused_declarations_charge_can_still_be_paid(
    importer, importer_account, monkeypatch
):
    from datetime import date

    import time_machine

    from declarations.models import Declaration, Status
    from payments import facilities
    from payments.facilities import declaration_secure
    from payments.models import FacilityKind
    from payments.statements import Period, statement_generate, statement_pay_start
    from tests.payments.facilities_support import charged as charged_with
    from tests.payments.facilities_support import facility, lodged

    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: {"E"})
    deferment = facility(
        importer_account, kind=FacilityKind.DEFERMENT, reference="DAN1112223", limit="1000.00"
    )
    with time_machine.travel(date(2026, 10, 12), tick=False):
        released = charged_with(lodged(importer), "100.00")
        refused = charged_with(lodged(importer), "50.00")
        for declaration, amount in ((released, "100.00"), (refused, "50.00")):
            declaration_secure(declaration=declaration, amount=D(amount))
    # Secured, so consolidation decided it; an agency rejected the goods: refused, the duty still owed.
    Declaration.objects.filter(pk=refused.pk).update(status=Status.REFUSED)
    with time_machine.travel(date(2026, 11, 1), tick=False):
        statement = statement_generate(facility=deferment, period=Period.month(2026, 10))

    payment = statement_pay_start(statement=statement, user=importer, method=PaymentMethod.BANK_TRANSFER)

    assert payment.amount == D("150.00")
