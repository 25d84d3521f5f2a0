"""Schema errors become issues that point at the offending element and say what is wrong with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from declarations.wco.pointers import pointer_for_element
from declarations.wco.reader import read_declaration
from declarations.wco.schema import MAX_ISSUES, _ErrorTree, schema_dir, schema_issues

from .samples import CONFORMANCE, ids, sample

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


def with_bad_sequences(count: int) -> bytes:
    """IM001a with its goods item replaced by ``count`` items whose SequenceNumeric is not a number."""
    root = etree.fromstring(sample("TT_IM001a").read_bytes())
    shipment = root.find(f".//{DEC}GoodsShipment")
    item = shipment.find(f"{DEC}GovernmentAgencyGoodsItem")
    position = shipment.index(item)
    shipment.remove(item)
    for _ in range(count):
        new = etree.Element(f"{DEC}GovernmentAgencyGoodsItem")
        etree.SubElement(new, f"{DEC}SequenceNumeric").text = "x"
        shipment.insert(position, new)
    return etree.tostring(root)


def test_schema_errors_beyond_the_first_100_are_counted_in_one_last_issue():
    result = read_declaration(with_bad_sequences(999))

    assert len(result.issues) == MAX_ISSUES + 1 == 101
    assert {i.code for i in result.issues[:100]} == {"schema"}
    assert result.issues[99].pointer == "67A/68A[100] SequenceNumeric"
    assert result.issues[99].message == "SequenceNumeric 'x' is not a number (format n..5)."
    last = result.issues[100]
    assert (last.code, last.pointer, last.severity) == ("too_many_errors", "", "error")
    assert last.message == "899 more errors are not listed; only the first 100 are reported."


def test_exactly_100_schema_errors_are_all_listed_without_a_count():
    result = read_declaration(with_bad_sequences(100))

    assert [i.code for i in result.issues] == ["schema"] * 100
    assert result.issues[-1].pointer == "67A/68A[100] SequenceNumeric"


def test_one_error_more_than_the_cap_is_counted_in_the_singular():
    result = read_declaration(with_bad_sequences(101))

    assert result.issues[-1].message == "1 more error is not listed; only the first 100 are reported."


def test_attribute_errors_are_capped_and_name_the_attribute_and_its_value():
    root = etree.fromstring(sample("TT_IM001a").read_bytes())
    item = root.find(f".//{DEC}GovernmentAgencyGoodsItem")
    for i in range(32):
        item.set(f"a{i}", "x")
    shipment = item.getparent()
    for _ in range(9):
        item.addnext(etree.fromstring(etree.tostring(item)))
    for n, element in enumerate(shipment.iterchildren(f"{DEC}GovernmentAgencyGoodsItem"), start=1):
        element.find(f"{DEC}SequenceNumeric").text = str(n)

    result = read_declaration(etree.tostring(root))

    assert len(result.issues) == 101
    assert result.issues[0].pointer == "67A/68A[1]"
    assert result.issues[0].message == (
        "GovernmentAgencyGoodsItem attribute a0: The attribute 'a0' is not allowed. (value 'x')"
    )
    assert result.issues[99].pointer == "67A/68A[4]"
    assert result.issues[100].message == "220 more errors are not listed; only the first 100 are reported."


@pytest.mark.parametrize("path", CONFORMANCE, ids=ids(CONFORMANCE))
def test_error_pointers_are_those_of_pointer_for_element_for_every_element(path: Path):
    root = etree.fromstring(path.read_bytes())
    tree = _ErrorTree(root)

    for element in root.iter(etree.Element):
        assert tree.pointer(element) == pointer_for_element(element)


def test_error_pointers_of_unknown_and_repeated_elements_are_those_of_pointer_for_element():
    root = etree.fromstring(sample("TT_IM001d").read_bytes())
    declaration = root.find(f"{DEC}Declaration")
    declaration.append(etree.fromstring(f'<Bogus xmlns="{DEC[1:-1]}"><X/><X><Y/></X></Bogus>'))
    declaration.append(etree.Element(f"{DEC}Bogus"))
    root.append(etree.Element("{urn:wco:datamodel:WCO:DocumentMetaData-DMS:2}Extra"))
    tree = _ErrorTree(root)

    pointers = [tree.pointer(e) for e in root.iter(etree.Element)]

    assert pointers == [pointer_for_element(e) for e in root.iter(etree.Element)]
    assert {"42A/Bogus", "42A/Bogus/X[2] Y", "42A Bogus", "MetaData/Extra"} <= set(pointers)
