"""The warning at lodgement: estimated duties above the headroom left (a warning, never an error)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from payments import facilities
from payments.facilities import declaration_secure
from payments.models import FacilityKind, FacilityStatus
from tests.declarations.payloads import import_payload
from tests.payments.facilities_support import facility, lodged

pytestmark = pytest.mark.django_db

VALIDATE = "/api/v1/declarations/validate"


@pytest.fixture
def estimate(monkeypatch):
    """The estimated duties of whatever is checked (set per test)."""
    value = {"amount": Decimal("1234.00")}
    monkeypatch.setattr(facilities, "estimate_duties", lambda data: value["amount"])
    monkeypatch.setattr(facilities, "data_methods", lambda data: {"E"})
    return value


def _validate(user):
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(VALIDATE, import_payload(lrn="WARN-1"), format="json")
    assert response.status_code == 200
    return response.json()


def test_duties_above_the_headroom_left_are_a_warning_on_the_validate_answer(
    importer, importer_account, estimate, monkeypatch
):
    deferment = facility(
        importer_account, kind=FacilityKind.DEFERMENT, reference="DAN1234567", limit="1000.00"
    )
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: {"E"})
    declaration_secure(declaration=lodged(importer), amount=Decimal("200.00"))
    body = _validate(importer)
    assert body["valid"] is True and body["lodgement_status"] == 201
    assert {
        "pointer": "",
        "code": "facility_headroom",
        "message": "estimated duties 1,234.00 GBP exceed the 800.00 GBP left on deferment account "
        "DAN1234567: the goods will wait for payment",
    } in body["warnings"]
    assert deferment.securities.count() == 1


def test_duties_within_the_headroom_or_a_trader_without_facilities_are_not_warned(
    importer, importer_account, estimate
):
    assert not [w for w in _validate(importer)["warnings"] if w["code"] == "facility_headroom"]
    facility(importer_account, kind=FacilityKind.DEFERMENT, limit="5000.00")
    assert not [w for w in _validate(importer)["warnings"] if w["code"] == "facility_headroom"]


def test_a_suspended_account_is_warned_with_its_reason(importer, importer_account, estimate):
    facility(
        importer_account,
        kind=FacilityKind.DEFERMENT,
        reference="DAN7654321",
        status=FacilityStatus.SUSPENDED,
        status_reason="statement of October 2026 overdue",
        valid_from=date(2026, 1, 1),
    )
    warnings = [w["message"] for w in _validate(importer)["warnings"] if w["code"] == "facility_headroom"]
    assert warnings == [
        "deferment account DAN7654321 suspended: statement of October 2026 overdue: "
        "the goods will wait for payment"
    ]


def test_the_lodgement_answers_the_warning_too_and_is_accepted(importer, importer_account, estimate):
    from declarations.api.serializers import DeclarationInputSerializer
    from declarations.models import Channel
    from declarations.services import declaration_lodge

    facility(importer_account, kind=FacilityKind.DEFERMENT, reference="DAN1111111", limit="10.00")
    serializer = DeclarationInputSerializer(data=import_payload(lrn="WARN-2"))
    assert serializer.is_valid()
    result = declaration_lodge(user=importer, data=serializer.to_declaration_data(), channel=Channel.API_JSON)
    assert result.created
    assert [w.message for w in result.warnings if w.code == "facility_headroom"] == [
        "estimated duties 1,234.00 GBP exceed the 10.00 GBP left on deferment account DAN1111111: "
        "the goods will wait for payment"
    ]


def test_an_advisor_that_fails_never_stops_a_check(importer, importer_account, monkeypatch, caplog):
    def broken(data):
        raise RuntimeError("estimate failed")

    monkeypatch.setattr(facilities, "estimate_duties", broken)
    body = _validate(importer)
    assert body["valid"] is True
    assert "advisor" in caplog.text


def _with_tax_lines(lrn: str, *lines: tuple[str, str, str]):
    """The import with the trader's own tax lines (DE 4/3 type, 4/6 payable amount, 4/8 method) on item 1."""
    payload = import_payload(lrn=lrn)
    payload["items"][0]["tax_lines"] = [
        {"tax_type": tax, "payable_amount": amount, "method_of_payment": method}
        for tax, amount, method in lines
    ]
    return payload


def test_the_declared_duties_of_method_e_are_compared_with_the_deferment_headroom(importer, importer_account):
    facility(importer_account, kind=FacilityKind.DEFERMENT, reference="DAN2222222", limit="800.00")
    client = APIClient()
    client.force_authenticate(importer)
    payload = _with_tax_lines("WARN-3", ("A00", "234.00", "E"), ("B00", "1000.00", "E"))
    body = client.post(VALIDATE, payload, format="json").json()
    assert body["valid"] is True, body["errors"]
    assert [w["message"] for w in body["warnings"] if w["code"] == "facility_headroom"] == [
        "estimated duties 1,234.00 GBP exceed the 800.00 GBP left on deferment account DAN2222222: "
        "the goods will wait for payment"
    ]
    # Method R asks for a guarantee, which the account does not have: nothing to compare, no warning.
    payload = _with_tax_lines("WARN-4", ("A00", "234.00", "R"))
    body = client.post(VALIDATE, payload, format="json").json()
    assert not [w for w in body["warnings"] if w["code"] == "facility_headroom"]


def test_a_stored_declarations_method_of_payment_chooses_the_facility(importer, importer_account):
    from declarations.api.serializers import DeclarationInputSerializer
    from declarations.models import Channel
    from declarations.services import declaration_lodge

    facility(importer_account, kind=FacilityKind.GUARANTEE, reference="GUA3333333")
    deferment = facility(importer_account, kind=FacilityKind.DEFERMENT, reference="DAN3333333")
    serializer = DeclarationInputSerializer(data=_with_tax_lines("SEC-1", ("A00", "50.00", "E")))
    assert serializer.is_valid(), serializer.errors
    declaration = declaration_lodge(
        user=importer, data=serializer.to_declaration_data(), channel=Channel.API_JSON
    ).declaration
    assert facilities.declared_methods(declaration) == {"E"}
    assert declaration_secure(declaration=declaration, amount=Decimal("50.00")).security.facility == deferment


def test_the_advice_costs_one_query_and_none_without_declared_duties(
    importer, importer_account, django_assert_num_queries
):
    from declarations.api.serializers import DeclarationInputSerializer

    facility(importer_account, kind=FacilityKind.DEFERMENT, limit="10.00")
    with_duties = DeclarationInputSerializer(data=_with_tax_lines("Q-1", ("A00", "50.00", "E")))
    without = DeclarationInputSerializer(data=import_payload(lrn="Q-2"))
    assert with_duties.is_valid() and without.is_valid()
    with django_assert_num_queries(1):
        assert len(facilities.headroom_warnings(with_duties.to_declaration_data())) == 1
    with django_assert_num_queries(0):
        assert facilities.headroom_warnings(without.to_declaration_data()) == []
