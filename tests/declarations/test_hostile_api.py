"""Hostile or broken XML through the API: always a 4xx with a message, never a 500, nothing stored."""

from __future__ import annotations

import pytest
from lxml import etree
from rest_framework.test import APIClient

from declarations.models import Declaration

from ..conftest import SAMPLES

IM001A = SAMPLES / "imports" / "TT_IM001a__Step1_TT_IM001a.xml"
DEC = "{urn:wco:datamodel:WCO:DEC-DMS:2}"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>"""
XXE_FILE = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>'
XXE_HTTP = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><d>&x;</d>'
PARAMETER_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><d/>'
)
DEEP = b"<a>" * 10_000 + b"</a>" * 10_000
WRONG_NAMESPACE = b'<Declaration xmlns="urn:example:not-wco"><FunctionCode>9</FunctionCode></Declaration>'
NO_NAMESPACE = b"<Declaration><FunctionCode>9</FunctionCode></Declaration>"
NOT_WELL_FORMED = b"<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><FunctionCode>9</Declaration>"
NOT_UTF8_GARBAGE = b"\xff\xfe\x00<\x00a"

ATTRIBUTES = (
    b'<Declaration xmlns="urn:wco:datamodel:WCO:DEC-DMS:2"'
    + b"".join(b' a%d="1"' % i for i in range(200_000))
    + b"/>"
)


def with_goods_items(count: int, sequence: str = "x") -> bytes:
    """IM001a with its goods item replaced by ``count`` minimal items numbered ``sequence``."""
    root = etree.fromstring(IM001A.read_bytes())
    shipment = root.find(f".//{DEC}GoodsShipment")
    item = shipment.find(f"{DEC}GovernmentAgencyGoodsItem")
    position = shipment.index(item)
    shipment.remove(item)
    for _ in range(count):
        new = etree.Element(f"{DEC}GovernmentAgencyGoodsItem")
        etree.SubElement(new, f"{DEC}SequenceNumeric").text = sequence
        shipment.insert(position, new)
    return etree.tostring(root)


CASES = {
    "billion_laughs": BILLION_LAUGHS,
    "xxe_file": XXE_FILE,
    "xxe_http": XXE_HTTP,
    "parameter_entity": PARAMETER_ENTITY,
    "deep_nesting": DEEP,
    "wrong_namespace": WRONG_NAMESPACE,
    "no_namespace": NO_NAMESPACE,
    "not_well_formed": NOT_WELL_FORMED,
    "garbage": NOT_UTF8_GARBAGE,
    "empty": b"",
    "200000_attributes": ATTRIBUTES,
    "32000_goods_items": with_goods_items(32_000),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_xml_is_refused_with_a_4xx_and_a_message(broker, name):
    client = APIClient()
    client.force_authenticate(broker)
    response = client.post("/api/v1/declarations", CASES[name], content_type="application/xml")
    assert 400 <= response.status_code < 500, response.content
    errors = response.json()["errors"]
    assert errors and all(e["code"] and e["message"] for e in errors)
    assert b"root:" not in response.content  # /etc/passwd never leaks
    assert Declaration.objects.count() == 0


def post(user, body: bytes, content_type: str = "application/xml"):
    client = APIClient()
    client.force_authenticate(user)
    return client.post("/api/v1/declarations", body, content_type=content_type)


@pytest.mark.django_db
@pytest.mark.parametrize("content_type", ["application/xml", "text/xml", "application/xml; charset=utf-8"])
def test_empty_xml_body_gets_the_xml_channels_empty_error(broker, content_type):
    response = post(broker, b"", content_type)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "pointer": "",
            "code": "empty",
            "message": "The body is empty; a WCO declaration in XML was expected.",
        }
    ]


@pytest.mark.django_db
def test_empty_json_body_still_gets_the_json_field_errors(broker):
    response = post(broker, b"", "application/json")

    assert response.status_code == 400
    assert "empty" not in {e["code"] for e in response.json()["errors"]}


@pytest.mark.django_db
def test_200000_attributes_are_refused_with_one_error_naming_the_element(broker):
    response = post(broker, ATTRIBUTES)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "too_many_attributes"
    assert error["message"].startswith("Declaration (line 1) has more than 32 attributes")


@pytest.mark.django_db
def test_32000_goods_items_are_refused_pointing_at_the_thousandth(broker):
    response = post(broker, with_goods_items(32_000))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "pointer": "67A/68A[1000]",
            "code": "too_many_repeats",
            "message": (
                "GoodsShipment holds 32,000 GovernmentAgencyGoodsItem elements; at most 999 are accepted."
            ),
        }
    ]
    assert Declaration.objects.count() == 0


@pytest.mark.django_db
def test_schema_errors_are_answered_as_the_first_100_and_a_count_of_the_rest(broker):
    response = post(broker, with_goods_items(999))

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 101
    assert errors[0] == {
        "pointer": "67A/68A[1] SequenceNumeric",
        "code": "schema",
        "message": "SequenceNumeric 'x' is not a number (format n..5).",
    }
    assert errors[-1] == {
        "pointer": "",
        "code": "too_many_errors",
        "message": "899 more errors are not listed; only the first 100 are reported.",
    }
    assert Declaration.objects.count() == 0


@pytest.mark.django_db
def test_two_declarations_in_one_envelope_are_refused_and_neither_is_lodged(broker):
    root = etree.fromstring(IM001A.read_bytes())
    declaration = root.find(f"{DEC}Declaration")
    second = etree.fromstring(etree.tostring(declaration))
    second.find(f"{DEC}FunctionalReferenceID").text = "SECOND-LRN"
    declaration.addnext(second)

    response = post(broker, etree.tostring(root))

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["code"], error["pointer"]) == ("multiple_declarations", "MetaData/Declaration[2]")
    assert "send each declaration in a message of its own" in error["message"]
    assert Declaration.objects.count() == 0
