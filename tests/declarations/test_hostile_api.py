"""Hostile or broken XML through the API: always a 4xx with a message, never a 500, nothing stored."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from declarations.models import Declaration

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
