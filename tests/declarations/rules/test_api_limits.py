"""The API refuses numbers and codes the rules refuse: a 400 in the one error shape, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Declaration
from singlewindow.models import AuditEvent

from ...conftest import SAMPLES
from ..payloads import import_payload

pytestmark = pytest.mark.django_db

IM001A = SAMPLES / "imports" / "TT_IM001a__Step1_TT_IM001a.xml"


def post_json(user, payload: dict[str, Any], **headers: str):
    client = APIClient()
    client.force_authenticate(user)
    return client.post("/api/v1/declarations", payload, format="json", **headers)


def item(**changes: Any) -> dict[str, Any]:
    payload = import_payload()
    payload["items"][0].update(changes)
    return payload


NET_MASS = "67A/68A[1]/23A/65A NetNetWeightMeasure"

# What the audit found giving a 500 (or stored when it should not), and what the rules answer.
CASES = [
    pytest.param(
        item(net_mass="99999999999999.999", gross_mass="99999999999999.999"),
        ("value_too_large", "items.1.net_mass", NET_MASS),
        id="net_mass",
    ),
    pytest.param(
        item(gross_mass="99999999999999.999"),
        ("value_too_large", "items.1.gross_mass", "67A/68A[1]/23A/65A GrossMassMeasure"),
        id="gross_mass",
    ),
    pytest.param(
        import_payload(invoice_amount="999999999999999.999"),
        ("value_too_large", "invoice_amount", "42A InvoiceAmount"),
        id="invoice_amount",
    ),
    pytest.param(
        item(package_count=2**63),
        ("value_too_large", "items.1.package_count", "67A/68A[1]/93A[1] QuantityQuantity"),
        id="package_count",
    ),
    pytest.param(
        import_payload(total_package_quantity=10**30),
        ("value_too_large", "total_package_quantity", "42A TotalPackageQuantity"),
        id="total_package_quantity",
    ),
    pytest.param(
        import_payload(total_package_quantity=-1),
        ("value_negative", "total_package_quantity", "42A TotalPackageQuantity"),
        id="negative_total_package_quantity",
    ),
    pytest.param(
        import_payload(documents=[{"kind": "previous", "code": "ZDCR", "line": 10**30}]),
        ("value_too_large", "documents.1.line", "67A/99A[1] LineNumeric"),
        id="document_line",
    ),
    pytest.param(
        item(quantity="-5", quantity_unit="NAR"),
        ("value_negative", "items.1.quantity", "67A/68A[1]/23A/65A TariffQuantity"),
        id="negative_quantity",
    ),
    pytest.param(
        item(net_mass="40.0005"),
        ("too_many_decimals", "items.1.net_mass", NET_MASS),
        id="too_many_decimals",
    ),
]


@pytest.mark.parametrize(("payload", "expected"), CASES)
def test_json_lodgement_the_rules_refuse_is_a_400_and_stores_nothing(
    importer, payload: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    response = post_json(importer, payload)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert expected in [(e["code"], e.get("field"), e["pointer"]) for e in errors]
    assert all(e["message"] for e in errors)
    assert Declaration.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="declarations.").exists()


def test_unlisted_document_code_is_a_warning_by_default(importer) -> None:
    payload = item(documents=[{"code": "N999", "reference": "1"}])
    response = post_json(importer, payload)
    assert response.status_code == 201, response.content
    warnings = [(w["code"], w.get("field")) for w in response.json()["warnings"]]
    assert ("document_code_unknown", "items.1.documents.1.code") in warnings


def test_unlisted_import_additional_procedure_code_is_refused(importer) -> None:
    response = post_json(importer, item(additional_procedure_codes=["ZZZ"]))
    assert response.status_code == 400, response.content
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [
        ("additional_procedure_code_unknown", "items.1.additional_procedure_codes.1")
    ]


@pytest.mark.parametrize(
    ("setting", "payload", "expected"),
    [
        pytest.param(
            "SW_STRICT_DOCUMENT_CODES",
            item(documents=[{"code": "N999", "reference": "1"}]),
            ("document_code_unknown", "items.1.documents.1.code", "67A/68A[1]/02A[1] TypeCode"),
            id="document_code",
        ),
    ],
)
def test_strict_code_lists_refuse_unlisted_codes_and_store_nothing(
    importer, settings, setting: str, payload: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    setattr(settings, setting, True)
    response = post_json(importer, payload)
    assert response.status_code == 400, response.content
    assert expected in [(e["code"], e.get("field"), e["pointer"]) for e in response.json()["errors"]]
    assert Declaration.objects.count() == 0


def test_json_number_with_an_absurd_exponent_is_refused_while_parsing(importer) -> None:
    response = post_json(importer, item(net_mass="1e999999999"))
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["code"], error["field"]) == ("max_digits", "items.1.net_mass")
    assert Declaration.objects.count() == 0


def test_json_decimals_are_given_the_column_places_unless_that_would_round_them() -> None:
    payload = item(net_mass="40.5", gross_mass="52.0005")
    serializer = DeclarationInputSerializer(data=payload)
    assert serializer.is_valid(), serializer.errors
    first = serializer.to_declaration_data().items[0]
    # 40.500 as the database keeps it (and as the JSON channel always gave it: content hashes of
    # earlier lodgements still match); 52.0005 as sent, for the rules to refuse, not rounded.
    assert (str(first.net_mass), str(first.gross_mass)) == ("40.500", "52.0005")


def test_schema_valid_xml_with_numbers_beyond_the_columns_is_a_400_and_stores_nothing(broker) -> None:
    body = (
        IM001A.read_bytes()
        .replace(b"<GrossMassMeasure>150<", b"<GrossMassMeasure>99999999999999<")
        .replace(b"<NetNetWeightMeasure>100<", b"<NetNetWeightMeasure>99999999999999<")
        .replace(b'"GBP">1000</ItemChargeAmount>', b'"GBP">9999999999999999</ItemChargeAmount>')
    )
    client = APIClient()
    client.force_authenticate(broker)
    response = client.post("/api/v1/declarations", body, content_type="application/xml")
    assert response.status_code == 400, response.content
    found = {(e["code"], e["field"], e["pointer"]) for e in response.json()["errors"]}
    assert found == {
        ("value_too_large", "items.1.gross_mass", "67A/68A[1]/23A/65A GrossMassMeasure"),
        ("value_too_large", "items.1.net_mass", "67A/68A[1]/23A/65A NetNetWeightMeasure"),
        ("value_too_large", "items.1.value_amount", "67A/68A[1]/23A/79A ItemChargeAmount"),
    }
    assert Declaration.objects.count() == 0
