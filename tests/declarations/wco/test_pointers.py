"""WCO class-code pointers for elements of a message and for canonical fields."""

from __future__ import annotations

import dataclasses

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
from declarations.wco.pointers import pointer_for_element, pointer_for_field
from declarations.wco.schema import declaration_model

from .samples import sample

DEC = "{urn:wco:datamodel:WCO:DEC-DMS:2}"


def test_class_codes_come_from_the_schema_annotations():
    model = declaration_model()
    shipment = model.children["GoodsShipment"]
    item = shipment.children["GovernmentAgencyGoodsItem"]

    assert model.wcoid == "42A"
    assert (shipment.wcoid, item.wcoid, item.repeats) == ("67A", "68A", True)
    assert item.children["Commodity"].wcoid == "23A"
    assert item.children["Commodity"].children["Classification"].wcoid == "21A"
    assert item.children["Commodity"].children["GoodsMeasure"].wcoid == "65A"
    assert item.children["AdditionalDocument"].wcoid == "02A"
    assert model.children["AuthorisationHolder"].wcoid == "17C"
    assert not item.children["SequenceNumeric"].is_class


@pytest.mark.parametrize(
    "xpath, pointer",
    [
        ("d:FunctionalReferenceID", "42A FunctionalReferenceID"),
        ("d:GoodsShipment", "67A"),
        ("d:GoodsShipment/d:GovernmentAgencyGoodsItem[2]", "67A/68A[2]"),
        ("d:GoodsShipment/d:GovernmentAgencyGoodsItem[2]/d:SequenceNumeric", "67A/68A[2] SequenceNumeric"),
        (
            "d:GoodsShipment/d:GovernmentAgencyGoodsItem[2]/d:Commodity/d:Classification[1]/d:ID",
            "67A/68A[2]/23A/21A[1] ID",
        ),
        (
            "d:GoodsShipment/d:GovernmentAgencyGoodsItem[3]/d:AdditionalDocument[2]/d:LPCOExemptionCode",
            "67A/68A[3]/02A[2] LPCOExemptionCode",
        ),
        ("d:Declarant/d:ID", "42A/57B ID"),
        ("d:Exporter/d:Address/d:CityName", "42A/57A/04A CityName"),
        ("d:AdditionalDocument/d:ID", "42A/02A[1] ID"),
        ("d:GoodsShipment/d:Consignment/d:GoodsLocation/d:Name", "67A/28A/64A Name"),
    ],
)
def test_pointer_for_an_element_of_a_real_message(xpath: str, pointer: str):
    root = etree.fromstring(sample("TT_IM001d").read_bytes())
    declaration = root.find(f"{DEC}Declaration")
    [element] = declaration.xpath(xpath, namespaces={"d": DEC[1:-1]})

    assert pointer_for_element(element) == pointer


def test_pointer_for_the_declaration_and_the_envelope():
    root = etree.fromstring(sample("TT_IM001a").read_bytes())

    assert pointer_for_element(root.find(f"{DEC}Declaration")) == "42A"
    assert pointer_for_element(root[1]) == "MetaData/WCOTypeName"


def test_unknown_elements_keep_their_names_in_the_pointer():
    root = etree.fromstring(sample("TT_IM001a").read_bytes())
    item = root.find(f".//{DEC}GovernmentAgencyGoodsItem")
    unknown = etree.SubElement(item, f"{DEC}Mystery")
    inner = etree.SubElement(unknown, f"{DEC}Value")

    assert pointer_for_element(inner) == "67A/68A[1]/Mystery Value"
    assert pointer_for_element(unknown) == "67A/68A[1]/Mystery"


@pytest.mark.parametrize(
    "field, pointer",
    [
        ("lrn", "42A FunctionalReferenceID"),
        ("type_code", "42A TypeCode"),
        ("additional_type", "42A TypeCode"),
        ("function_code", "42A FunctionCode"),
        ("goods_item_quantity", "42A GoodsItemQuantity"),
        ("total_package_quantity", "42A TotalPackageQuantity"),
        ("invoice_amount", "42A InvoiceAmount"),
        ("invoice_currency", "42A InvoiceAmount"),
        ("exchange_rate", "42A/40A[1] RateNumeric"),
        ("representation_code", "42A/05A FunctionCode"),
        ("supervising_office", "42A/97B ID"),
        ("presentation_office", "42A/15C ID"),
        ("exit_office", "42A/56A ID"),
        ("border_transport_mode", "42A/15A ModeCode"),
        ("border_transport_nationality", "42A/15A RegistrationNationalityCode"),
        ("inland_transport_mode", "67A/28A/10A ModeCode"),
        ("arrival_transport_id", "67A/28A/10A ID"),
        ("departure_transport_id_type", "67A/28A/46A IdentificationTypeCode"),
        ("container", "67A/28A ContainerCode"),
        ("goods_location", "67A/28A/64A Name"),
        ("goods_location_qualifier", "67A/28A/64A/04A TypeCode"),
        ("goods_location_country", "67A/28A/64A/04A CountryCode"),
        ("destination_country", "67A/99B CountryCode"),
        ("export_country", "67A/95B ID"),
        ("transaction_nature", "67A TransactionNatureCode"),
        ("delivery_terms", "67A/22B ConditionCode"),
        ("delivery_location", "67A/22B LocationID"),
    ],
)
def test_pointer_for_header_fields(field: str, pointer: str):
    assert pointer_for_field(field) == pointer


@pytest.mark.parametrize(
    "field, pointer",
    [
        ("items", "67A/68A"),
        ("items.2", "67A/68A[2]"),
        ("items.2.sequence", "67A/68A[2] SequenceNumeric"),
        ("items.2.description", "67A/68A[2]/23A Description"),
        ("items.2.commodity_code", "67A/68A[2]/23A/21A[1] ID"),
        ("items.2.taric_codes", "67A/68A[2]/23A/21A[2] ID"),
        ("items.2.taric_codes.3", "67A/68A[2]/23A/21A[4] ID"),
        ("items.1.net_mass", "67A/68A[1]/23A/65A NetNetWeightMeasure"),
        ("items.2.net_mass", "67A/68A[2]/23A/65A NetNetWeightMeasure"),
        ("items.2.gross_mass", "67A/68A[2]/23A/65A GrossMassMeasure"),
        ("items.2.quantity", "67A/68A[2]/23A/65A TariffQuantity"),
        ("items.2.value_amount", "67A/68A[2]/23A/79A ItemChargeAmount"),
        ("items.2.value_currency", "67A/68A[2]/23A/79A ItemChargeAmount"),
        ("items.2.statistical_value", "67A/68A[2] StatisticalValueAmount"),
        ("items.2.origin_country", "67A/68A[2]/92A[1] CountryCode"),
        ("items.2.procedure_code", "67A/68A[2]/70A[1] CurrentCode"),
        ("items.2.additional_procedure_codes", "67A/68A[2]/70A[2] CurrentCode"),
        ("items.2.additional_procedure_codes.2", "67A/68A[2]/70A[3] CurrentCode"),
        ("items.2.valuation_method", "67A/68A[2]/41A MethodCode"),
        ("items.2.package_count", "67A/68A[2]/93A[1] QuantityQuantity"),
        ("items.2.documents", "67A/68A[2]/02A"),
        ("items.1.documents.3.code", "67A/68A[1]/02A[3] TypeCode"),
    ],
)
def test_pointer_for_goods_item_fields(field: str, pointer: str):
    assert pointer_for_field(field) == pointer


@pytest.mark.parametrize(
    "field, pointer",
    [
        ("parties", "42A"),
        ("parties.importer", "67A/74A"),
        ("parties.importer.eori", "67A/74A ID"),
        ("parties.exporter.eori", "42A/57A ID"),
        ("parties.declarant.eori", "42A/57B ID"),
        ("parties.representative.eori", "42A/05A ID"),
        ("parties.consignee.name", "67A/27A Name"),
        ("parties.consignor.country", "67A/30A/04A CountryCode"),
        ("parties.buyer.street", "67A/16A/04A Line"),
        ("parties.seller.postcode", "67A/09B/04A PostcodeID"),
        ("parties.exporter.city", "42A/57A/04A CityName"),
    ],
)
def test_pointer_for_party_fields(field: str, pointer: str):
    assert pointer_for_field(field) == pointer


def declaration_with_mixed_documents() -> DeclarationData:
    return DeclarationData(
        type_code="EX",
        documents=[
            DocumentData(kind=DocumentKind.PREVIOUS, code="ZDCR"),
            DocumentData(kind=DocumentKind.ADDITIONAL, code="1DAN"),
            DocumentData(kind=DocumentKind.PREVIOUS, code="Z355", line=1),
        ],
        items=[
            ItemData(
                documents=[
                    DocumentData(kind=DocumentKind.ADDITIONAL, code="N935"),
                    DocumentData(kind=DocumentKind.PREVIOUS, code="Z355"),
                    DocumentData(kind=DocumentKind.ADDITIONAL, code="C506", status="AC"),
                ]
            )
        ],
    )


@pytest.mark.parametrize(
    "field, pointer",
    [
        ("documents", "42A/02A"),
        ("documents.1.reference", "67A/99A[1] ID"),
        ("documents.2.code", "42A/02A[1] TypeCode"),
        ("documents.3.line", "67A/99A[2] LineNumeric"),
        ("items.1.documents.2.line", "67A/68A[1]/99A[1] LineNumeric"),
        ("items.1.documents.3", "67A/68A[1]/02A[2]"),
        ("items.1.documents.3.status", "67A/68A[1]/02A[2] LPCOExemptionCode"),
    ],
)
def test_pointer_for_documents_counts_each_kind_separately_given_the_data(field: str, pointer: str):
    assert pointer_for_field(field, declaration_with_mixed_documents()) == pointer


def test_pointer_for_inland_mode_follows_the_direction():
    assert (
        pointer_for_field("inland_transport_mode", DeclarationData(type_code="IM")) == "67A/28A/10A ModeCode"
    )
    assert (
        pointer_for_field("inland_transport_mode", DeclarationData(type_code="EX")) == "67A/28A/46A ModeCode"
    )


@pytest.mark.parametrize("field", ["", "bogus", "items.x.net_mass", "items.1.bogus", "parties.nobody.eori"])
def test_pointer_for_an_unknown_field_is_empty(field: str):
    assert pointer_for_field(field) == ""


def test_every_canonical_field_has_a_pointer():
    missing = [f.name for f in dataclasses.fields(DeclarationData) if not pointer_for_field(f.name)]
    missing += [
        f"items.1.{f.name}"
        for f in dataclasses.fields(ItemData)
        if not pointer_for_field(f"items.1.{f.name}")
    ]
    missing += [
        f"parties.{role.value}.{f.name}"
        for role in PartyRole
        for f in dataclasses.fields(PartyData)
        if not pointer_for_field(f"parties.{role.value}.{f.name}")
    ]
    missing += [
        f"items.1.documents.1.{f.name}"
        for f in dataclasses.fields(DocumentData)
        if not pointer_for_field(f"items.1.documents.1.{f.name}")
    ]

    assert missing == []


def test_field_pointers_match_the_elements_the_reader_takes_values_from():
    root = etree.fromstring(sample("TT_IM001d").read_bytes())
    item = root.findall(f".//{DEC}GovernmentAgencyGoodsItem")[1]

    assert pointer_for_element(item.find(f"{DEC}Commodity/{DEC}GoodsMeasure/{DEC}NetNetWeightMeasure")) == (
        pointer_for_field("items.2.net_mass")
    )
    assert pointer_for_element(item.find(f"{DEC}Commodity/{DEC}Classification/{DEC}ID")) == (
        pointer_for_field("items.2.commodity_code")
    )
    assert pointer_for_element(root.find(f".//{DEC}Importer/{DEC}ID")) == pointer_for_field(
        "parties.importer.eori"
    )
