"""The writer produces schema-valid DMS XML that reads back to the same canonical data."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from declarations.canonical import (
    DeclarationData,
    DocumentData,
    DocumentKind,
    ItemData,
    PartyData,
    PartyRole,
)
from declarations.wco.reader import read_declaration
from declarations.wco.schema import schema_issues
from declarations.wco.writer import write_declaration

from .samples import CONFORMANCE, ids, read_clean

DEC = "{urn:wco:datamodel:WCO:DEC-DMS:2}"


@pytest.mark.parametrize("path", CONFORMANCE, ids=ids(CONFORMANCE))
def test_every_sample_written_in_the_envelope_validates_and_reads_back_equal(path: Path):
    data = read_clean(path)

    body = write_declaration(data)

    assert schema_issues(etree.fromstring(body)) == []
    result = read_declaration(body)
    assert result.issues == []
    assert result.root_kind == "metadata"
    assert result.data == data


@pytest.mark.parametrize("path", CONFORMANCE, ids=ids(CONFORMANCE))
def test_every_sample_written_without_envelope_validates_and_reads_back_equal(path: Path):
    data = read_clean(path)

    body = write_declaration(data, envelope=False)

    root = etree.fromstring(body)
    assert root.tag == f"{DEC}Declaration"
    assert schema_issues(root) == []
    result = read_declaration(body)
    assert (result.issues, result.root_kind) == ([], "declaration")
    assert result.data == data


def form_declaration() -> DeclarationData:
    """A declaration as the browser form would give it, not from XML."""
    return DeclarationData(
        type_code="IM",
        additional_type="A",
        lrn="FORM-0001",
        goods_item_quantity=2,
        invoice_amount=Decimal("1234.50"),
        invoice_currency="EUR",
        exchange_rate=Decimal("0.85123"),
        representation_code="2",
        presentation_office="GBLBA001",
        inland_transport_mode="3",
        parties=[
            PartyData(role=PartyRole.DECLARANT, eori="GB603202734852"),
            PartyData(role=PartyRole.IMPORTER, eori="GB553202734852"),
            PartyData(role=PartyRole.CONSIGNOR, name="Shenzhen Tools", city="Shenzhen", country="CN"),
            PartyData(role=PartyRole.REPRESENTATIVE, eori="GB603202734852", name="Harbour Brokers"),
            PartyData(
                role=PartyRole.BUYER, name="Clippers Ltd", street="1 Quay", postcode="SS1 1AA", country="GB"
            ),
            PartyData(role=PartyRole.SELLER, name="Tools Co", country="CN"),
        ],
        container=False,
        documents=[
            DocumentData(kind=DocumentKind.ADDITIONAL, code="1DAN", reference="1108654"),
            DocumentData(kind=DocumentKind.PREVIOUS, code="Z355", reference="24GB34F7Y1O2CX8PT4", line=1),
        ],
        items=[
            ItemData(
                sequence=1,
                description="Hair clippers",
                commodity_code="8510200000",
                taric_codes=["00", "2601", "VATZ", "X413", "C999"],
                origin_country="CN",
                origin_type="1",
                procedure_code="4000",
                additional_procedure_codes=["000", "1RV"],
                quantity=Decimal("12.5"),
                quantity_unit="NAR",
                net_mass=Decimal("10.125"),
                gross_mass=Decimal("11"),
                value_amount=Decimal("1000.25"),
                value_currency="USD",
                statistical_value=Decimal("800"),
                statistical_currency="GBP",
                valuation_method="1",
                package_count=3,
                package_type="BX",
                package_marks="ABC",
                documents=[
                    DocumentData(kind=DocumentKind.ADDITIONAL, code="N935", reference="INV-1", status="AC"),
                    DocumentData(
                        kind=DocumentKind.PREVIOUS, code="ZDCR", reference="4GB553202734852-1", line=2
                    ),
                ],
            ),
            ItemData(sequence=2, description="Combs", commodity_code="961511", net_mass=Decimal(1)),
        ],
    )


def test_a_declaration_entered_in_the_form_round_trips_through_xml():
    data = form_declaration()

    result = read_declaration(write_declaration(data))

    assert result.issues == []
    assert result.data == data


def test_output_is_pretty_printed_utf8_with_an_xml_declaration():
    body = write_declaration(form_declaration())

    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n")
    assert b"\n    <FunctionCode>9</FunctionCode>\n" in body
    body.decode("utf-8")


def test_the_envelope_names_the_dms_customisation():
    root = etree.fromstring(write_declaration(DeclarationData(lrn="X")))

    md = "{urn:wco:datamodel:WCO:DocumentMetaData-DMS:2}"
    assert root.findtext(f"{md}WCODataModelVersionCode") == "3.6"
    assert root.findtext(f"{md}WCOTypeName") == "DEC"


def test_additional_codes_are_written_with_the_classification_type_their_shape_implies():
    root = etree.fromstring(write_declaration(form_declaration()))

    classifications = root.findall(f".//{DEC}Commodity/{DEC}Classification")[:6]
    assert [
        (c.findtext(f"{DEC}ID"), c.findtext(f"{DEC}IdentificationTypeCode")) for c in classifications
    ] == [
        ("8510200000", "TSP"),
        ("00", "TRC"),
        ("2601", "TRA"),
        ("VATZ", "GN"),
        ("X413", "GN"),
        ("C999", "TRA"),
    ]


def test_inland_mode_goes_on_the_departure_means_for_an_export():
    data = DeclarationData(type_code="EX", additional_type="D", lrn="E1", inland_transport_mode="3")

    root = etree.fromstring(write_declaration(data))

    assert root.findtext(f".//{DEC}DepartureTransportMeans/{DEC}ModeCode") == "3"
    assert root.find(f".//{DEC}ArrivalTransportMeans") is None
    assert read_declaration(write_declaration(data)).data == data


def test_a_currency_or_unit_without_its_amount_is_not_written_as_an_empty_element():
    data = DeclarationData(
        lrn="E2",
        invoice_currency="GBP",
        items=[ItemData(sequence=1, value_currency="USD", quantity_unit="NAR", statistical_currency="GBP")],
    )

    body = write_declaration(data)

    assert schema_issues(etree.fromstring(body)) == []
    assert b"currencyID" not in body
    assert b"unitCode" not in body


def test_an_item_without_a_sequence_is_numbered_by_its_position_because_the_schema_requires_one():
    data = DeclarationData(lrn="E3", items=[ItemData(description="a"), ItemData(description="b")])

    result = read_declaration(write_declaration(data))

    assert result.issues == []
    assert [i.sequence for i in result.data.items] == [1, 2]


def test_an_empty_declaration_is_still_schema_valid():
    body = write_declaration(DeclarationData())

    assert schema_issues(etree.fromstring(body)) == []
