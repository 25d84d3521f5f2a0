"""Schema errors become issues that point at the offending element and say what is wrong with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from declarations.wco.reader import read_declaration
from declarations.wco.schema import schema_dir, schema_issues

from .samples import sample

DEC = "{urn:wco:datamodel:WCO:DEC-DMS:2}"


def edited(prefix: str, old: bytes, new: bytes) -> bytes:
    body = sample(prefix).read_bytes()
    assert old in body
    return body.replace(old, new, 1)


def only_issue(body: bytes):
    result = read_declaration(body)
    assert result.data is None
    [issue] = result.issues
    assert issue.code == "schema"
    return issue


def test_lrn_longer_than_the_schema_allows_points_at_the_functional_reference():
    lrn = "L" * 36
    issue = only_issue(
        edited(
            "TT_IM001a", b"<FunctionalReferenceID>7847767E1WB6<", f"<FunctionalReferenceID>{lrn}<".encode()
        )
    )

    assert issue.pointer == "42A FunctionalReferenceID"
    assert issue.message.startswith("FunctionalReferenceID 'LLLL")
    assert "36 characters long; at most 35 are allowed" in issue.message


def test_letter_in_a_goods_item_sequence_points_at_that_item():
    issue = only_issue(
        edited("TT_IM001d", b"<SequenceNumeric>2</SequenceNumeric>", b"<SequenceNumeric>2a</SequenceNumeric>")
    )

    assert issue.pointer == "67A/68A[2] SequenceNumeric"
    assert issue.message == "SequenceNumeric '2a' is not a number (format n..5)."


def test_invalid_currency_attribute_points_at_the_amount_and_names_the_attribute():
    issue = only_issue(edited("TT_IM001a", b'currencyID="GBP"', b'currencyID="gbp"'))

    assert issue.pointer == "67A/68A[1]/23A/79A ItemChargeAmount"
    assert (
        issue.message
        == "ItemChargeAmount attribute currencyID 'gbp' does not have the required format ([A-Z]{3})."
    )


def test_value_outside_a_code_list_lists_the_allowed_values():
    issue = only_issue(
        edited("TT_IM001a", b"<ContainerCode>1</ContainerCode>", b"<ContainerCode>7</ContainerCode>")
    )

    assert issue.pointer == "67A/28A ContainerCode"
    assert issue.message == "ContainerCode '7' is not one of the allowed values ('0', '1')."


def test_too_many_decimals_in_a_mass():
    issue = only_issue(
        edited("TT_IM001a", b"<NetNetWeightMeasure>100<", b"<NetNetWeightMeasure>100.1234567<")
    )

    assert issue.pointer == "67A/68A[1]/23A/65A NetNetWeightMeasure"
    assert "at most 6 are allowed" in issue.message


def test_element_in_the_wrong_place_is_named_with_what_was_expected():
    issue = only_issue(
        edited(
            "TT_IM001a",
            b"<GoodsItemQuantity>1</GoodsItemQuantity>",
            b"<GoodsItemQuantity>1</GoodsItemQuantity><Bogus>1</Bogus>",
        )
    )

    assert issue.pointer == "42A Bogus"
    assert issue.message.startswith(
        "Bogus is not expected here; expected one of DeclarationOfficeID, InvoiceAmount"
    )
    assert "{" not in issue.message  # no namespace noise


def test_missing_mandatory_function_code_is_reported_at_the_next_element():
    issue = only_issue(edited("TT_IM001a", b"<FunctionCode>9</FunctionCode>", b""))

    assert issue.pointer == "42A FunctionalReferenceID"
    assert "expected one of AcceptanceDateTime, FunctionCode" in issue.message


def test_error_in_the_envelope_is_named_by_its_element_path():
    issue = only_issue(
        edited(
            "TT_IM001a",
            b"<md:WCOTypeName>DEC</md:WCOTypeName>",
            b"<md:WCOTypeName>DEC</md:WCOTypeName><md:Extra/>",
        )
    )

    assert issue.pointer == "MetaData/Extra"
    assert issue.message.startswith("Extra is not expected here")


def test_every_schema_error_is_reported_not_only_the_first():
    body = edited(
        "TT_IM001d", b"<SequenceNumeric>2</SequenceNumeric>", b"<SequenceNumeric>x</SequenceNumeric>"
    )
    body = body.replace(b"<SequenceNumeric>3</SequenceNumeric>", b"<SequenceNumeric>y</SequenceNumeric>", 1)

    result = read_declaration(body)

    assert [i.pointer for i in result.issues] == ["67A/68A[2] SequenceNumeric", "67A/68A[3] SequenceNumeric"]


def test_a_bare_declaration_is_validated_without_the_envelope():
    root = etree.fromstring(sample("TT_EX039a").read_bytes())
    declaration = root.find(f"{DEC}Declaration")
    declaration.find(f"{DEC}TypeCode").text = "EXDD"
    body = etree.tostring(declaration)

    result = read_declaration(body)

    assert result.root_kind == "declaration"
    assert [(i.pointer, i.message) for i in result.issues] == [
        ("42A TypeCode", "TypeCode 'EXDD' is 4 characters long; at most 3 are allowed.")
    ]


def test_schema_issues_on_a_valid_sample_is_empty():
    assert schema_issues(etree.fromstring(sample("TT_EX001a").read_bytes())) == []


def test_schema_dir_defaults_to_the_shared_data(settings):
    settings.SW_WCO_SCHEMA_DIR = None

    assert schema_dir() == Path(settings.SHARED_DATA_DIR) / "wco-dms" / "schemas" / "declaration"
    assert (schema_dir() / "WCO_DEC_2_DMS.xsd").is_file()


def test_schema_dir_can_be_set(settings, tmp_path: Path):
    settings.SW_WCO_SCHEMA_DIR = str(tmp_path)

    assert schema_dir() == tmp_path


@pytest.mark.parametrize("value", ["1000", "99999"])
def test_goods_item_sequence_up_to_five_digits_is_schema_valid(value: str):
    root = etree.fromstring(sample("TT_IM001a").read_bytes())
    root.find(f".//{DEC}GovernmentAgencyGoodsItem/{DEC}SequenceNumeric").text = value

    result = read_declaration(etree.tostring(root))

    assert result.issues == []
    assert result.data.items[0].sequence == int(value)
