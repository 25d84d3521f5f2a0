"""Every declaration the rules accept downloads as WCO DM XML that validates against the schema.

The declarations here carry every field at the most the rules accept: the longest text, the
largest numbers, the most decimal places and digits, the longest codes, the widest characters.
``validate`` must find nothing wrong, and what the writer makes of them must pass the DMS schema
and read back unchanged; one of them is also lodged and downloaded through the API, as a trader
would. ``tests/declarations/rules/test_schema_limits.py`` shows one step beyond each limit refused.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from lxml import etree
from rest_framework.test import APIClient

from declarations import rules
from declarations.canonical import (
    DeclarationData,
    DocumentData,
    DocumentKind,
    Issue,
    ItemData,
    PartyData,
    PartyRole,
    TaxLineData,
)
from declarations.models import Channel, Declaration, Document, GoodsItem, ItemTaxLine, Party
from declarations.services import declaration_lodge
from declarations.validation import validate
from declarations.wco.reader import read_declaration
from declarations.wco.schema import schema_issues
from declarations.wco.writer import write_declaration

from ..rules.builders import build_export, build_import

# Characters that must survive being written: markup XML escapes, letters beyond Latin-1, a
# character outside the Basic Multilingual Plane (one character, as the schema counts it too).
WIDE = "Zoë & <Søn> “Ltd” ÅÇ 😀 "


def text(length: int) -> str:
    """Text of exactly ``length`` characters that starts and ends with a letter (readers strip)."""
    if length == 1:
        return "Z"
    return ("Z" + WIDE * length)[: length - 1] + "Z"


def full_party(role: PartyRole, eori: str = "") -> PartyData:
    return PartyData(
        role=role,
        eori=eori,
        name=text(70),
        street=text(70),
        city=text(35),
        postcode=text(9),
        country="GB",
    )


def full_item(sequence: int, item: ItemData) -> ItemData:
    return dataclasses.replace(
        item,
        sequence=sequence,
        description=text(512),
        commodity_code=item.commodity_code.ljust(10, "0"),  # the tariff's ten digits
        # The TARIC code (2), a UK national code (4) and the longest Classification ID (18).
        taric_codes=["00", "VATZ", "A" * 18],
        origin_type="9",
        quantity_unit="KGM#G",  # five characters, the most unitCode takes
        statistical_currency="GBP",
        valuation_method="9",
        valuation_indicator="0000",
        preference="100",
        package_type="ZZ",
        package_marks=text(512),
        documents=[
            DocumentData(
                kind=DocumentKind.ADDITIONAL,
                code="N935",
                reference=text(70),
                status="AE",
                # DE 2/3 writing-off at its limits (as on a licence; the writer does not ask which).
                write_off_quantity=Decimal("999999999.999999"),  # 15 digits, six of them decimals
                write_off_unit="KGM#G",
                write_off_amount=Decimal("999999999999.999"),
                write_off_currency="GBP",
            ),
            DocumentData(kind=DocumentKind.PREVIOUS, code="Z355", reference=text(70), line=99999),
        ],
    )


def fill_header(data: DeclarationData) -> None:
    data.lrn = "TT IM.max-limit_000001"  # 22 characters, every separator an LRN may use
    data.representation_code = "3"
    data.border_transport_mode = "9"
    data.inland_transport_mode = "9"
    data.arrival_transport_id = text(35)
    data.arrival_transport_id_type = "99"
    data.departure_transport_id = text(35)
    data.departure_transport_id_type = "99"
    data.container = True
    data.goods_location = text(35)  # the column keeps 35 of the schema's 256
    data.goods_location_type = "D"
    data.goods_location_qualifier = "Y"
    data.transaction_nature = "99"
    data.delivery_terms = "DDP"
    data.delivery_location = text(17)
    data.freight_currency = "USD"
    # No status: a declaration-level AdditionalDocument has no LPCOExemptionCode in DMS.
    data.documents = [
        DocumentData(kind=DocumentKind.ADDITIONAL, code="1DAN", reference=text(70)),
        DocumentData(kind=DocumentKind.PREVIOUS, code="Z355", reference=text(70), line=99999),
    ]


def import_at_the_largest() -> DeclarationData:
    """An import whose numbers are the largest the rules accept."""
    data = build_import(items=2)
    fill_header(data)
    data.invoice_amount = Decimal("999999999999.999")  # 15 digits: what SQLite gives back exactly
    data.invoice_currency = "GBP"
    data.exchange_rate = Decimal("999999999.999")  # 12 digits, the schema's totalDigits
    data.total_package_quantity = 99999999  # eight digits
    registered = {p.role: p.eori for p in data.parties}
    data.parties = [full_party(role, registered.get(role, "GB123456789012345")) for role in PartyRole]
    data.items = [full_item(n, item) for n, item in enumerate(data.items, start=1)]
    for item in data.items:
        item.quantity = Decimal("999999999999.999")
        item.net_mass = Decimal("999999999999.998")
        item.gross_mass = Decimal("999999999999.999")
        item.value_amount = item.statistical_value = Decimal("999999999999.999")
    data.items[0].package_count, data.items[1].package_count = 99999999, 0  # eight digits, as the total
    data.freight_amount = Decimal("999999999999.999")
    largest = Decimal("999999999999.999")
    for item in data.items:
        item.tax_lines = [
            tax_line(
                base_quantity=Decimal("999999999.999999"),  # 15 digits, six of them decimals
                base_amount=largest,
                rate=Decimal("999999999.999999"),
                assessed_amount=largest,
                payable_amount=largest,
            ),
            TaxLineData(tax_type="B00", method_of_payment="E", payable_amount=largest),
        ]
    return data


def tax_line(**numbers: Decimal) -> TaxLineData:
    """A tax line with every text at its limit (a five-character unit, a six-digit quota order)."""
    return TaxLineData(
        tax_type="A00",
        base_unit="KGM#G",
        base_currency="GBP",
        method_of_payment="E",
        quota_order="094067",
        **numbers,
    )


def export_at_the_finest() -> DeclarationData:
    """An export whose numbers carry the most decimal places the rules accept."""
    data = build_export()
    fill_header(data)
    data.invoice_amount = Decimal("0.001")
    data.invoice_currency = "EUR"
    data.exchange_rate = Decimal("9999999.99999")  # five decimals, twelve digits
    data.parties = [full_party(role, "GB427168118378") for role in PartyRole]
    (item,) = data.items
    item = full_item(1, item)
    item.quantity = Decimal("0.001")
    item.net_mass = Decimal("0.001")
    item.gross_mass = Decimal("0.002")
    item.value_amount, item.value_currency = Decimal("0.001"), "USD"
    item.statistical_value = Decimal("0.001")
    item.package_count = 0
    item.tax_lines = [
        tax_line(
            base_quantity=Decimal("0.000001"),
            base_amount=Decimal("0.001"),
            rate=Decimal("0.000001"),
            assessed_amount=Decimal("0.001"),
            payable_amount=Decimal("0.001"),
        )
    ]
    data.freight_amount = Decimal("0.001")
    data.total_package_quantity = 0
    data.items = [item]
    return data


AT_THE_LIMITS = [
    pytest.param(import_at_the_largest, id="import-largest"),
    pytest.param(export_at_the_finest, id="export-finest"),
]


def errors(data: DeclarationData) -> list[Issue]:
    return [i for i in validate(data, unregistered_parties_are_errors=False) if i.severity == "error"]


@pytest.mark.django_db
@pytest.mark.parametrize("build", AT_THE_LIMITS)
def test_declaration_at_every_limit_is_accepted_and_written_as_schema_valid_xml(build) -> None:
    data = build()
    assert errors(data) == []

    body = write_declaration(data)

    assert schema_issues(etree.fromstring(body)) == []


@pytest.mark.django_db
@pytest.mark.parametrize("build", AT_THE_LIMITS)
def test_declaration_at_every_limit_reads_back_unchanged_from_its_xml(build) -> None:
    data = build()

    result = read_declaration(write_declaration(data))

    assert result.issues == []
    assert result.data == data


def test_the_limit_declarations_fill_every_text_field_the_rules_limit_to_its_limit() -> None:
    # A field added to the rules' tables must be added here too, or the promise is not tested.
    data = import_at_the_largest()
    records: list[tuple[object, type]] = [(data, Declaration)]
    records += [(party, Party) for party in data.parties]
    records += [(item, GoodsItem) for item in data.items]
    records.append((data.items[0].documents[0], Document))  # the additional one: it has a status
    records.append((data.items[0].tax_lines[0], ItemTaxLine))
    short = []
    for record, model in records:
        for name, limit in rules.text_limits(model).items():
            value = getattr(record, name)
            longest = max(map(len, value)) if isinstance(value, list) else len(value)
            if longest != limit.max_length:
                short.append((type(record).__name__, name, longest, limit.max_length))
    assert short == []
    assert {p.role for p in data.parties} == set(PartyRole)


@pytest.mark.django_db
def test_declaration_at_every_limit_is_lodged_and_downloads_as_schema_valid_xml(broker) -> None:
    data = import_at_the_largest()
    result = declaration_lodge(user=broker, data=data, channel=Channel.API_JSON)
    client = APIClient()
    client.force_authenticate(broker)

    response = client.get(f"/api/v1/declarations/{result.declaration.mrn}/xml")

    assert response.status_code == 200
    assert schema_issues(etree.fromstring(response.content)) == []
    assert (
        read_declaration(response.content).data == Declaration.objects.get(pk=result.declaration.pk).to_data()
    )
