"""POST /api/v1/declarations/{mrn}/payments and GET /api/v1/payments/{id}."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from payments import payments
from payments.models import Payment, PaymentStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = Decimal


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(declaration) -> str:
    return f"/api/v1/declarations/{declaration.mrn}/payments"


def test_a_card_payment_answers_201_with_where_to_confirm_it(importer, charged):
    answer = client_for(importer).post(url(charged), {"method": "card"}, format="json")

    assert answer.status_code == 201
    body = answer.json()
    payment = Payment.objects.get()
    assert body["id"] == payment.pk and body["reference"] == payment.reference
    assert body["status"] == "awaiting_confirmation" and body["method"] == "card"
    assert body["amount"] == "232.40" and body["currency"] == "GBP"
    assert body["redirect_url"] == f"http://testserver/payments/testpay/{payment.checkout_id}/"
    assert body["bank_details"] is None
    assert body["declarations"] == [{"mrn": charged.mrn, "amount": "232.40"}]


def test_a_part_payment_by_bank_transfer_carries_the_bank_details(importer, charged):
    answer = client_for(importer).post(
        url(charged), {"method": "bank_transfer", "amount": "100.00"}, format="json"
    )

    body = answer.json()
    assert answer.status_code == 201 and body["amount"] == "100.00" and body["status"] == "awaiting_funds"
    assert body["redirect_url"] is None and body["bank_details"]["iban"] == "GB45BKEN10539223456789"


def test_refusals_answer_in_the_apis_error_shape(importer, charged):
    api = client_for(importer)
    too_much = api.post(url(charged), {"method": "card", "amount": "500.00"}, format="json")
    no_method = api.post(url(charged), {}, format="json")

    assert too_much.status_code == 400
    assert too_much.json()["errors"][0]["code"] == "payment_over_outstanding"
    assert no_method.status_code == 400 and no_method.json()["errors"][0]["pointer"] == "method"


def test_the_payment_is_read_back_and_follows_its_settlement(importer, charged):
    api = client_for(importer)
    created = api.post(url(charged), {"method": "bank_transfer"}, format="json").json()
    payments.payment_settle(payment_id=created["id"], provider_reference="BGC 1", amount=D("232.40"))

    body = api.get(f"/api/v1/payments/{created['id']}").json()

    assert body["status"] == "settled" and body["settled_at"] is not None and body["bank_details"] is None
    detail = api.get(f"/api/v1/declarations/{charged.mrn}").json()
    assert detail["payment"]["state"] == "paid"
    assert [p["reference"] for p in detail["payment"]["payments"]] == [created["reference"]]


@pytest.mark.parametrize("persona", ["outsider", "supervisor", "officer"])
def test_everyone_but_the_traders_side_gets_404(importer, charged, request, persona):
    user = (
        UserFactory(username="an_officer", role="officer")
        if persona == "officer"
        else request.getfixturevalue(persona)
    )
    payment = payments.payment_start(
        user=importer,
        trader_account=charged.trader_account,
        allocations=[(charged, None)],
        method="bank_transfer",
    )
    api = client_for(user)
    assert api.post(url(charged), {"method": "card"}, format="json").status_code == 404
    assert api.get(f"/api/v1/payments/{payment.pk}").status_code == 404
    assert api.get("/api/v1/payments/99999999").status_code == 404
    assert Payment.objects.count() == 1


def test_the_same_idempotency_key_replays_the_first_answer(importer, charged):
    api = client_for(importer)
    headers = {"Idempotency-Key": "pay-1"}

    first = api.post(url(charged), {"method": "card"}, format="json", headers=headers)
    again = api.post(url(charged), {"method": "card"}, format="json", headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(importer, charged):
    api = client_for(importer)
    headers = {"Idempotency-Key": "pay-2"}
    api.post(url(charged), {"method": "bank_transfer", "amount": "10.00"}, format="json", headers=headers)

    other = api.post(
        url(charged), {"method": "bank_transfer", "amount": "20.00"}, format="json", headers=headers
    )

    assert other.status_code == 422 and other.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert Payment.objects.get().amount == D("10.00")


def test_the_schema_documents_the_payment_endpoints(importer):
    schema = client_for(importer).get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/v1/declarations/{mrn}/payments"]["post"]
    assert post["operationId"] == "declarations_payments_create"
    assert "201" in post["responses"] and any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    assert "/api/v1/payments/{id}" in schema["paths"]
    assert PaymentStatus.AWAITING_FUNDS in schema["components"]["schemas"]["PaymentStatusEnum"]["enum"]
