"""WCO DMS responses: every state change answered in the trader's standard, schema-valid.

Each response produced by a real flow (lodgement, an agency's question or inspection, release,
refusal, a rejected lodgement) is validated with lxml against the DMS notification schemas
(``WCO_RES_2_DMS.xsd`` in its ``MetaData`` envelope), and its pointers compared with the ones
HMRC's own notifications give for the same rejected trade-test messages.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from lxml import etree
from rest_framework.test import APIClient

from accounts.models import User
from clearance import services as clearance_services
from declarations.models import Declaration, DeclarationResponse, ResponseKind, Status
from declarations.responses import dms_error_codes, validation_code
from declarations.wco.namespaces import MD_NS, RES_NS
from declarations.wco.response import pointer_steps, response_schema_errors
from tests.agencies.fixtures import client_for

from ..conftest import SAMPLES, TT1
from .payloads import import_payload

pytestmark = pytest.mark.django_db

RES = {"md": MD_NS, "r": RES_NS, "ds": "urn:wco:datamodel:WCO:Response_DS:DMS:2"}
TT1_PLACEHOLDER = b"INSERTEORI"
TT1_TESTER_EORI = b"GB553202734852"
# Each rejected trade-test message and the notification HMRC answered it with.
TT1_REJECTIONS = {
    "Imports/Rejected/Obligation_Rejection": "CDS10001",
    "Imports/Rejected/Ref_Data_Rejection": "CDS12050",
    "Exports/Rejected/Rejected_Format": "CDS10010",
}


def parsed(body: str | bytes) -> etree._Element:
    raw = body.encode() if isinstance(body, str) else body
    assert response_schema_errors(raw) == [], raw.decode()
    return etree.fromstring(raw)


def function_code(root: etree._Element) -> str:
    return root.findtext("r:Response/r:FunctionCode", namespaces=RES)


def pointers(error: etree._Element) -> list[tuple[str | None, str, str | None]]:
    return [
        (
            p.findtext("r:SequenceNumeric", namespaces=RES),
            p.findtext("r:DocumentSectionCode", namespaces=RES),
            p.findtext("r:TagID", namespaces=RES),
        )
        for p in error.findall("r:Pointer", namespaces=RES)
    ]


def _loose(steps: list[tuple[str | None, str, str | None]]) -> list[tuple[str | None, str, str | None]]:
    return [(seq if section in ("67A", "68A") else None, section, tag) for seq, section, tag in steps]


def responses_of(declaration: Declaration) -> list[DeclarationResponse]:
    return list(DeclarationResponse.objects.filter(declaration=declaration).order_by("pk"))


def test_the_notification_schemas_accept_hmrcs_own_notifications():
    """The schema the responses are checked against is the real one: HMRC's notifications pass it."""
    for path in sorted(TT1.glob("*/*/*/Example_Notification/*.xml")) + sorted(
        TT1.glob("*/*/Example_Notification/*.xml")
    ):
        body = path.read_bytes().split(b"</_2:MetaData>")[0] + b"</_2:MetaData>"
        assert response_schema_errors(body) == [], path


def test_a_lodgement_is_answered_by_a_schema_valid_01_with_the_mrn(importer):
    response = client_for(importer).post(
        "/api/v1/declarations", import_payload(lrn="RES-ACC-1"), format="json"
    )
    assert response.status_code == 201
    declaration = Declaration.objects.get(mrn=response.json()["mrn"])
    [stored] = responses_of(declaration)
    root = parsed(stored.body)
    assert function_code(root) == "01"
    assert root.findtext("md:WCOTypeName", namespaces=RES) == "RES"
    answer = root.find("r:Response/r:Declaration", namespaces=RES)
    assert answer.findtext("r:ID", namespaces=RES) == declaration.mrn
    assert answer.findtext("r:FunctionalReferenceID", namespaces=RES) == "RES-ACC-1"
    assert answer.findtext("r:VersionID", namespaces=RES) == "1"
    assert answer.find("r:AcceptanceDateTime/ds:DateTimeString", namespaces=RES).get("formatCode") == "304"
    assert response.json()["response"]["function_code"] == "01"


def test_a_client_that_asks_for_xml_gets_the_01_itself(importer):
    response = client_for(importer).post(
        "/api/v1/declarations", import_payload(lrn="RES-ACC-X"), format="json", HTTP_ACCEPT="application/xml"
    )
    assert response.status_code == 201
    assert response["Content-Type"] == "application/xml"
    root = parsed(response.content)
    assert function_code(root) == "01"
    assert root.findtext("r:Response/r:Declaration/r:ID", namespaces=RES)


@pytest.fixture
def demo_broker(db: None) -> APIClient:
    call_command("seed_demo")
    client = APIClient()
    client.force_authenticate(User.objects.get(username="broker"))
    return client


@pytest.mark.parametrize("folder", sorted(TT1_REJECTIONS))
def test_a_rejected_trade_test_message_gets_the_pointers_hmrc_gave(demo_broker, folder: str):
    [message] = (TT1 / folder / "Declaration").glob("*.xml")
    [notification] = (TT1 / folder / "Example_Notification").glob("*.xml")
    body = message.read_bytes().replace(TT1_PLACEHOLDER, TT1_TESTER_EORI)
    answer = demo_broker.post(
        "/api/v1/declarations", body, content_type="application/xml", HTTP_ACCEPT="application/xml"
    )
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/xml"
    ours = parsed(answer.content)
    assert function_code(ours) == "03"
    assert Declaration.objects.count() == 0
    hmrc = etree.fromstring(notification.read_bytes().split(b"</_2:MetaData>")[0] + b"</_2:MetaData>")
    [expected] = hmrc.findall(".//{*}Error")
    expected_pointers = [
        (
            p.findtext("{*}SequenceNumeric"),
            p.findtext("{*}DocumentSectionCode"),
            p.findtext("{*}TagID"),
        )
        for p in expected.findall("{*}Pointer")
    ]
    errors = ours.findall("r:Response/r:Error", namespaces=RES)
    # The same classes and tag; HMRC numbers the shipment and the goods item and, in this example,
    # not the (repeatable) procedure class, which the portal numbers as the amendment pointers do.
    assert [_loose(expected_pointers)] == [
        _loose(pointers(e)) for e in errors if _loose(pointers(e)) == _loose(expected_pointers)
    ]
    assert TT1_REJECTIONS[folder] in {e.findtext("r:ValidationCode", namespaces=RES) for e in errors}
    # kept for the pull, against the declarant's account and the LRN, with no declaration
    [kept] = DeclarationResponse.objects.filter(declaration=None)
    assert kept.body.encode() == answer.content
    assert kept.lrn == ours.findtext("r:Response/r:Declaration/r:FunctionalReferenceID", namespaces=RES)
    assert kept.declarant_account is not None


def test_a_json_client_is_told_where_its_rejection_is_kept(importer):
    payload = import_payload(lrn="RES-REJ-1")
    payload["items"][0]["net_mass"] = None
    answer = client_for(importer).post("/api/v1/declarations", payload, format="json")
    assert answer.status_code == 400
    link = answer.json()["response"]
    assert link["function_code"] == "03"
    xml = client_for(importer).get(link["url"])
    assert xml.status_code == 200
    assert xml["Content-Type"] == "application/xml"
    root = parsed(xml.content)
    codes = {
        e.findtext("r:ValidationCode", namespaces=RES) for e in root.findall(".//r:Error", namespaces=RES)
    }
    assert "CDS10001" in codes
    assert root.findtext("r:Response/r:Declaration/r:FunctionalReferenceID", namespaces=RES) == "RES-REJ-1"
    assert root.find("r:Response/r:Declaration/r:ID", namespaces=RES) is None


def test_a_broken_message_asked_for_as_xml_is_answered_by_a_03_and_nothing_is_kept(importer):
    answer = client_for(importer).post(
        "/api/v1/declarations",
        b"<Declaration><unclosed></Declaration>",
        content_type="application/xml",
        HTTP_ACCEPT="application/xml",
    )
    assert answer.status_code == 400
    assert function_code(parsed(answer.content)) == "03"


def test_an_export_release_is_a_08(demo_broker, django_capture_on_commit_callbacks):
    [path] = sorted((SAMPLES / "exports").glob("*.xml"))[:1]
    with django_capture_on_commit_callbacks(execute=True):
        answer = demo_broker.post("/api/v1/declarations", path.read_bytes(), content_type="application/xml")
    declaration = Declaration.objects.get(mrn=answer.json()["mrn"])
    if declaration.status != Status.RELEASED:
        clearance_services.release_override(
            declaration=declaration,
            supervisor=User.objects.get(username="supervisor"),
            outcome="released",
            reason="Checked at the border.",
        )
    assert [function_code(parsed(r.body)) for r in responses_of(declaration)] == ["01", "08"]


def test_pointers_follow_the_schemas_class_codes():
    assert pointer_steps("42A FunctionalReferenceID")[0].tag == "D026"
    steps = pointer_steps("67A/68A[3]/23A/65A NetNetWeightMeasure")
    assert [(s.section, s.sequence, s.tag) for s in steps] == [
        ("42A", None, ""),
        ("67A", 1, ""),
        ("68A", 3, ""),
        ("23A", None, ""),
        ("65A", None, "128"),
    ]
    # anything that is not a class-code path points at the declaration, never at garbage
    assert [s.section for s in pointer_steps("items.1.net_mass")] == ["42A"]
    assert [s.section for s in pointer_steps("67A/<script>")] == ["42A"]


def test_every_validation_code_used_is_a_real_dms_error_code():
    known = dms_error_codes()
    from declarations import responses

    used = {*responses._VALIDATION_CODES.values(), *(c for _, c in responses._SUFFIX_CODES)}
    used |= {responses.DEFAULT_VALIDATION_CODE, responses.REFUSAL_VALIDATION_CODE}
    assert used <= set(known), used - set(known)
    assert validation_code("net_mass_missing") == "CDS10001"


def test_rejections_of_real_samples_and_acceptances_of_all_42_are_valid(demo_broker):
    """Every real sample lodged produces a schema-valid 01."""
    paths = sorted((SAMPLES / "imports").glob("*.xml")) + sorted((SAMPLES / "exports").glob("*.xml"))
    for path in paths:
        answer = demo_broker.post("/api/v1/declarations", path.read_bytes(), content_type="application/xml")
        assert answer.status_code == 201, (path, answer.json())
    bodies = list(
        DeclarationResponse.objects.filter(kind=ResponseKind.ACCEPTED).values_list("body", flat=True)
    )
    assert len(bodies) == 42
    for body in bodies:
        assert function_code(parsed(body)) == "01"
