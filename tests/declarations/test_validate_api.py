"""POST /api/v1/declarations/validate: every check of lodgement, nothing stored, nothing revealed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import api_token_create
from declarations.api.throttling import LodgementThrottle, ValidationThrottle
from declarations.models import Declaration
from singlewindow.models import AuditEvent, IdempotencyKey

from ..conftest import SAMPLES, TT1
from .payloads import import_payload
from .test_conformance import TT1_PLACEHOLDER, TT1_TESTER_EORI

pytestmark = pytest.mark.django_db

IM001A = SAMPLES / "imports" / "TT_IM001a__Step1_TT_IM001a.xml"
TT1_NETMASS = (
    TT1 / "Imports/Rejected/Obligation_Rejection/Declaration/TT1_IM_v2.02_Rejected_Obligation_Netmass.xml"
)
VALIDATE = "/api/v1/declarations/validate"
WRITES = ("INSERT", "UPDATE", "DELETE")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def validate_xml(client: APIClient, body: bytes):
    return client.post(VALIDATE, body, content_type="application/xml")


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]


def test_a_real_sample_validates_with_its_summary_and_writes_nothing(broker):
    client = client_for(broker)
    events = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        response = validate_xml(client, IM001A.read_bytes())
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["lodgement_status"] == 201
    assert body["errors"] == []
    assert body["summary"]["lrn"] == "7847767E1WB6"
    assert body["summary"]["commodity_codes"] == ["85109000"]
    assert writes(queries) == []
    assert Declaration.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_a_rejected_tt1_variant_answers_its_one_error_with_the_pointer(broker):
    body = TT1_NETMASS.read_bytes().replace(TT1_PLACEHOLDER, TT1_TESTER_EORI)
    with CaptureQueriesContext(connection) as queries:
        response = validate_xml(client_for(broker), body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["valid"] is False
    assert answer["lodgement_status"] == 400
    assert [(e["code"], e["field"]) for e in answer["errors"]] == [("net_mass_missing", "items.1.net_mass")]
    assert answer["errors"][0]["pointer"] == "67A/68A[1]/23A/65A NetNetWeightMeasure"
    assert writes(queries) == []


def test_the_answer_matches_what_lodgement_then_answers(broker):
    body = TT1_NETMASS.read_bytes().replace(TT1_PLACEHOLDER, TT1_TESTER_EORI)
    client = client_for(broker)
    checked = validate_xml(client, body).json()
    lodged = client.post("/api/v1/declarations", body, content_type="application/xml")
    assert lodged.status_code == checked["lodgement_status"]
    assert lodged.json()["errors"] == checked["errors"]


def test_json_is_validated_with_the_serializer_errors_pointing_at_the_field(importer):
    payload = import_payload()
    payload["items"][1]["net_mass"] = "heavy"
    response = client_for(importer).post(VALIDATE, payload, format="json")
    assert response.status_code == 200
    answer = response.json()
    assert answer["valid"] is False
    assert answer["lodgement_status"] == 400
    assert ("items.2.net_mass", "invalid") in {(e["field"], e["code"]) for e in answer["errors"]}
    assert answer["summary"] is None


def test_valid_json_validates_and_nothing_is_stored(importer):
    response = client_for(importer).post(VALIDATE, import_payload(), format="json")
    assert response.json()["valid"] is True
    assert response.json()["summary"]["items"] == 2
    assert Declaration.objects.count() == 0


def test_a_token_request_writes_nothing_but_the_tokens_use_stamp(importer):
    """Through a token, as vendors call it: the only write is the token's last-used stamp (at most
    once a minute), never anything of the declaration, the audit log or an idempotency key."""
    _token, key = api_token_create(user=importer, name="vendor")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_IDEMPOTENCY_KEY="k-1")
    with CaptureQueriesContext(connection) as queries:
        first = client.post(VALIDATE, import_payload(), format="json")
    assert first.json()["valid"] is True
    assert [q for q in writes(queries) if "last_used_at" not in q] == []
    with CaptureQueriesContext(connection) as queries:
        client.post(VALIDATE, import_payload(), format="json")
    assert writes(queries) == []
    assert IdempotencyKey.objects.count() == 0


def test_an_lrn_you_lodged_before_is_reported_with_its_declaration(importer):
    client = client_for(importer)
    mrn = client.post("/api/v1/declarations", import_payload(), format="json").json()["mrn"]
    same = client.post(VALIDATE, import_payload(), format="json").json()
    assert (same["valid"], same["lodgement_status"], same["mrn"]) == (True, 200, mrn)
    assert "lrn_lodged" in {w["code"] for w in same["warnings"]}
    other = client.post(VALIDATE, import_payload(invoice_amount="1600"), format="json").json()
    assert (other["valid"], other["lodgement_status"]) == (False, 409)
    assert other["errors"][0]["code"] == "lrn_conflict"
    assert mrn in other["errors"][0]["message"]


def test_an_lrn_taken_in_a_declaration_you_cannot_read_is_not_confirmed(importer, broker):
    """The importer lodged it; the broker (who may act for the importer but did not lodge it, so
    cannot read it) gets the same answer as for an LRN never used."""
    client_for(importer).post("/api/v1/declarations", import_payload(invoice_amount="1600"), format="json")
    broker_client = client_for(broker)
    taken = broker_client.post(VALIDATE, import_payload(), format="json").json()
    fresh = broker_client.post(VALIDATE, import_payload(lrn="NEVER-USED-1"), format="json").json()
    for answer in (taken, fresh):
        del answer["summary"]["lrn"]
    assert taken == fresh
    assert taken["lodgement_status"] == 201
    assert "mrn" not in taken


def test_an_outsider_learns_only_that_it_may_not_act_for_the_declarant(importer, outsider):
    client_for(importer).post("/api/v1/declarations", import_payload(), format="json")
    answer = client_for(outsider).post(VALIDATE, import_payload(), format="json").json()
    assert answer["lodgement_status"] == 400
    assert "not_authorised_declarant" in {e["code"] for e in answer["errors"]}
    assert "lrn_conflict" not in {e["code"] for e in answer["errors"]}
    assert "mrn" not in answer
    assert all(Declaration.objects.get().mrn not in e["message"] for e in answer["errors"])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "doctype"),
        (b"<Declaration><unclosed>", "not_well_formed"),
        (b"", "empty"),
        (b"PK\x03\x04" + b"\x00" * 40, "archive"),
    ],
)
def test_hostile_xml_is_an_invalid_verdict_never_a_500(broker, body, code):
    response = validate_xml(client_for(broker), body)
    assert response.status_code == 200
    answer = response.json()
    assert (answer["valid"], answer["lodgement_status"]) == (False, 400)
    assert answer["errors"][0]["code"] == code


def test_a_body_over_the_cap_is_the_413_verdict(broker, settings):
    settings.SW_MAX_XML_BYTES = 1000
    response = validate_xml(client_for(broker), b"<a>" + b"x" * 2000 + b"</a>")
    assert response.status_code == 200
    assert response.json()["lodgement_status"] == 413
    assert response.json()["errors"][0]["code"] == "too_large"


def test_not_json_is_an_invalid_verdict(importer):
    response = client_for(importer).post(VALIDATE, b"{nope", content_type="application/json")
    assert response.status_code == 200
    assert response.json()["errors"][0]["code"] == "not_json"


def test_a_form_body_is_refused_as_an_unsupported_media_type(importer):
    response = client_for(importer).post(VALIDATE, {"lrn": "x"})
    assert response.status_code == 415


def test_anonymous_callers_are_refused():
    assert APIClient().post(VALIDATE, import_payload(), format="json").status_code == 401


@pytest.fixture
def strict_throttles(monkeypatch):
    monkeypatch.setattr(ValidationThrottle, "THROTTLE_RATES", {"validation": "2/minute"})
    monkeypatch.setattr(LodgementThrottle, "THROTTLE_RATES", {"lodgement": "2/minute"})
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_validation_is_throttled_per_user_with_retry_after(importer, outsider, strict_throttles):
    client = client_for(importer)
    assert [client.post(VALIDATE, import_payload(), format="json").status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    throttled = client.post(VALIDATE, import_payload(), format="json")
    assert throttled.json()["errors"][0]["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0
    # Another user has a count of its own.
    assert client_for(outsider).post(VALIDATE, import_payload(), format="json").status_code == 200


def test_lodgement_is_throttled_per_user_and_reading_is_not(importer, strict_throttles):
    client = client_for(importer)
    statuses = [
        client.post("/api/v1/declarations", import_payload(lrn=f"THR-{n}"), format="json").status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]
    assert Declaration.objects.count() == 2
    assert all(client.get("/api/v1/declarations").status_code == 200 for _ in range(3))
