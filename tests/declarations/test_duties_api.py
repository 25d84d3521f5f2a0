"""The trader's duty and tax data through the JSON API: lodged, stored, returned, refused where wrong."""

from __future__ import annotations

import copy
import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from declarations.models import Declaration, ItemTaxLine
from declarations.services import content_hash
from declarations.wco.reader import read_declaration

from .payloads import import_payload
from .rules.builders import build_import

pytestmark = pytest.mark.django_db

DUTY = {
    "tax_type": "A00",
    "base_amount": "1000",
    "base_currency": "GBP",
    "rate": "2.5",
    "assessed_amount": "25",
    "payable_amount": "25",
    "method_of_payment": "E",
}
VAT = {
    "tax_type": "B00",
    "base_amount": "1025",
    "base_currency": "GBP",
    "rate": "20",
    "method_of_payment": "E",
}


def with_duties(**changes: Any) -> dict[str, Any]:
    payload = import_payload(freight_amount="9", freight_currency="GBP", **changes)
    first = payload["items"][0]
    first.update(preference="100", valuation_indicator="0000", tax_lines=copy.deepcopy([DUTY, VAT]))
    return payload


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_json_lodgement_stores_each_tax_line_of_an_item_numbered_in_order_and_returns_them(importer):
    response = client_for(importer).post("/api/v1/declarations", with_duties(), format="json")
    assert response.status_code == 201, response.json()
    declaration = Declaration.objects.get(mrn=response.json()["mrn"])
    first, second = declaration.items.order_by("position")
    lines = list(ItemTaxLine.objects.filter(item=first).order_by("sequence"))
    assert [(t.sequence, t.tax_type, t.method_of_payment) for t in lines] == [
        (1, "A00", "E"),
        (2, "B00", "E"),
    ]
    assert (lines[0].base_amount, lines[0].rate, lines[0].payable_amount) == (
        Decimal("1000"),
        Decimal("2.5"),
        Decimal("25"),
    )
    assert (first.preference, first.valuation_indicator) == ("100", "0000")
    assert not second.tax_lines.exists()
    assert (declaration.freight_amount, declaration.freight_currency) == (Decimal("9"), "GBP")

    returned = response.json()["declaration"]
    assert returned["freight_amount"] == "9"
    assert returned["items"][0]["preference"] == "100"
    assert returned["items"][0]["tax_lines"][0] == {
        "tax_type": "A00",
        "base_quantity": None,
        "base_unit": "",
        "base_amount": "1000",
        "base_currency": "GBP",
        "rate": "2.5",
        "assessed_amount": "25",
        "payable_amount": "25",
        "method_of_payment": "E",
        "quota_order": "",
    }
    assert returned["items"][1]["tax_lines"] == []


def test_tax_lines_are_in_the_declaration_read_back_and_in_its_xml_download(importer):
    client = client_for(importer)
    mrn = client.post("/api/v1/declarations", with_duties(), format="json").json()["mrn"]
    detail = client.get(f"/api/v1/declarations/{mrn}").json()
    assert [line["tax_type"] for line in detail["declaration"]["items"][0]["tax_lines"]] == ["A00", "B00"]
    xml = client.get(f"/api/v1/declarations/{mrn}/xml")
    assert read_declaration(xml.content).data.to_dict() == detail["declaration"]  # type: ignore[union-attr]
    assert b"<MethodCode>E</MethodCode>" in xml.content
    assert b"<DutyRegimeCode>100</DutyRegimeCode>" in xml.content
    assert b'<FreightChargeAmount currencyID="GBP">9</FreightChargeAmount>' in xml.content


def test_a_wrong_method_of_payment_is_refused_naming_the_tax_line_and_pointing_at_its_element(importer):
    payload = with_duties()
    payload["items"][0]["tax_lines"][1]["method_of_payment"] = "9"
    response = client_for(importer).post("/api/v1/declarations", payload, format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "text_format"
    assert error["field"] == "items.1.tax_lines.2.method_of_payment"
    assert error["pointer"] == "67A/68A[1]/23A/50A[2]/94A MethodCode"
    assert error["message"].startswith("Goods item 1, tax line 2: the method of payment 9 is not valid")
    assert not Declaration.objects.exists()


def test_too_many_decimals_in_a_tax_amount_are_refused_at_the_amounts_element(importer):
    payload = with_duties()
    payload["items"][0]["tax_lines"][0]["payable_amount"] = "25.0001"
    response = client_for(importer).post("/api/v1/declarations", payload, format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["code"], error["field"], error["pointer"]) == (
        "too_many_decimals",
        "items.1.tax_lines.1.payable_amount",
        "67A/68A[1]/23A/50A[1]/94A PaymentAmount",
    )


def test_a_method_of_payment_missing_from_the_list_is_a_warning_not_a_refusal(importer):
    payload = with_duties()
    payload["items"][0]["tax_lines"][1]["method_of_payment"] = "Q"
    response = client_for(importer).post("/api/v1/declarations", payload, format="json")
    assert response.status_code == 201, response.json()
    codes = {(w["code"], w["field"]) for w in response.json()["warnings"]}
    assert ("payment_method_unlisted", "items.1.tax_lines.2.method_of_payment") in codes


def test_an_empty_tax_line_is_refused(importer):
    payload = with_duties()
    payload["items"][0]["tax_lines"].append({})
    response = client_for(importer).post("/api/v1/declarations", payload, format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["code"], error["field"], error["pointer"]) == (
        "tax_line_blank",
        "items.1.tax_lines.3",
        "67A/68A[1]/23A/50A[3]",
    )


def test_json_length_limits_come_from_the_catalogue_with_the_elements_label(importer):
    payload = with_duties()
    payload["items"][0]["tax_lines"][0]["tax_type"] = "A0000"
    response = client_for(importer).post("/api/v1/declarations", payload, format="json")
    assert response.status_code == 400
    assert "The tax type has more than 3 characters" in str(response.json())


def test_a_declaration_without_duty_data_keeps_the_content_hash_it_had_before_they_existed():
    # Lodgements made before the duty elements existed must still be recognised when sent again.
    data = build_import()
    raw = data.to_dict()
    for name in ("freight_amount", "freight_currency"):
        raw.pop(name)
    for item in raw["items"]:
        for name in ("preference", "valuation_indicator", "tax_lines"):
            item.pop(name)
    assert content_hash(data) == hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()
    data.items[0].preference = "100"
    assert content_hash(data) != hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()
