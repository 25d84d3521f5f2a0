"""Content the schema lets through but the canonical model cannot hold becomes issues, never exceptions."""

from __future__ import annotations

import pytest
from lxml import etree

from declarations.wco.reader import _Mapper, read_declaration

from .samples import sample

DEC = "{urn:wco:datamodel:WCO:DEC-DMS:2}"


def read_edited(prefix: str, old: bytes, new: bytes):
    body = sample(prefix).read_bytes()
    assert old in body
    result = read_declaration(body.replace(old, new, 1))
    assert result.data is not None
    return result


def test_mass_in_grams_is_refused_because_the_model_holds_kilograms():
    result = read_edited(
        "TT_IM001a", b"<NetNetWeightMeasure>100<", b'<NetNetWeightMeasure unitCode="GRM">100000<'
    )

    [issue] = result.issues
    assert (issue.code, issue.severity, issue.field) == ("invalid_value", "error", "items.1.net_mass")
    assert issue.pointer == "67A/68A[1]/23A/65A NetNetWeightMeasure"
    assert "'GRM'" in issue.message and "kilograms" in issue.message


def test_second_commodity_code_on_one_item_is_refused_at_its_classification():
    result = read_edited("TT_IM001a", b"<IdentificationTypeCode>TRC<", b"<IdentificationTypeCode>TSP<")

    [issue] = result.issues
    assert (issue.field, issue.pointer) == ("items.1.commodity_code", "67A/68A[1]/23A/21A[2] ID")
    assert "more than one commodity code (85109000, 00)" in issue.message


def test_unknown_classification_type_is_a_warning_and_the_code_is_not_taken():
    result = read_edited("TT_IM001a", b"<IdentificationTypeCode>TRC<", b"<IdentificationTypeCode>ZZZ<")

    [issue] = result.issues
    assert issue.severity == "warning"
    assert issue.pointer == "67A/68A[1]/23A/21A[2] IdentificationTypeCode"
    assert result.data.items[0].taric_codes == []


def test_second_procedure_code_on_one_item_is_refused():
    result = read_edited(
        "TT_IM001a",
        b"<CurrentCode>000</CurrentCode>",
        b"<CurrentCode>000</CurrentCode><PreviousCode>00</PreviousCode>",
    )

    [issue] = result.issues
    assert (issue.field, issue.pointer) == ("items.1.procedure_code", "67A/68A[1]/70A[2] CurrentCode")
    assert result.data.items[0].procedure_code == "4000"


def test_a_second_packaging_on_one_item_is_refused_because_the_model_holds_one():
    packaging = (
        b"<Packaging><SequenceNumeric>2</SequenceNumeric><QuantityQuantity>1</QuantityQuantity></Packaging>"
    )
    result = read_edited("TT_IM001a", b"<ValuationAdjustment>", packaging + b"<ValuationAdjustment>")

    [issue] = result.issues
    assert (issue.field, issue.pointer) == ("items.1.package_count", "67A/68A[1]/93A[2] QuantityQuantity")
    assert result.data.items[0].package_count == 50


def test_items_declaring_different_destinations_without_a_header_value_are_reported():
    root = etree.fromstring(sample("TT_EX004a").read_bytes())
    second = root.findall(f".//{DEC}GovernmentAgencyGoodsItem")[1]
    second.find(f"{DEC}Destination/{DEC}CountryCode").text = "EG"

    result = read_declaration(etree.tostring(root))

    [issue] = result.issues
    assert (issue.field, issue.pointer) == ("destination_country", "67A/68A[1]/99B CountryCode")
    assert "(EG, SD)" in issue.message
    assert result.data.destination_country == "SD"


@pytest.mark.parametrize(
    "xpath, junk, field, pointer",
    [
        (
            "d:GoodsShipment/d:GovernmentAgencyGoodsItem[2]/d:SequenceNumeric",
            "two",
            "items.2.sequence",
            "67A/68A[2] SequenceNumeric",
        ),
        ("d:GoodsItemQuantity", "2.5", "goods_item_quantity", "42A GoodsItemQuantity"),
        (
            "d:GoodsShipment/d:GovernmentAgencyGoodsItem[1]/d:Commodity/d:GoodsMeasure/d:NetNetWeightMeasure",
            "NaN",
            "items.1.net_mass",
            "67A/68A[1]/23A/65A NetNetWeightMeasure",
        ),
        ("d:GoodsShipment/d:Consignment/d:ContainerCode", "yes", "container", "67A/28A ContainerCode"),
        (
            "d:GoodsShipment/d:GovernmentAgencyGoodsItem[1]/d:PreviousDocument[1]/d:LineNumeric",
            "first",
            "items.1.documents.4.line",
            "67A/68A[1]/99A[1] LineNumeric",
        ),
    ],
)
def test_the_mapper_turns_values_of_the_wrong_type_into_issues_with_pointers(xpath, junk, field, pointer):
    # The schema would refuse these; the mapper is still safe on them should it ever see one.
    root = etree.fromstring(sample("TT_IM001d").read_bytes())
    declaration = root.find(f"{DEC}Declaration")
    [element] = declaration.xpath(xpath, namespaces={"d": DEC[1:-1]})
    element.text = junk

    mapper = _Mapper(declaration)
    mapper.read()

    [issue] = mapper.issues
    assert (issue.code, issue.field, issue.pointer) == ("invalid_value", field, pointer)
    assert f"'{junk}'" in issue.message
