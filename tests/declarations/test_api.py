"""The declaration API: token auth, lodging JSON and XML, idempotency, scoping, XML download."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from lxml import etree
from rest_framework.test import APIClient

from accounts.services import api_token_create
from declarations.models import Declaration, Status
from declarations.mrn import mrn_is_valid
from singlewindow.models import AuditEvent, IdempotencyKey, OutboxMessage

from ..conftest import SAMPLES
from .payloads import import_payload

pytestmark = pytest.mark.django_db

IM001A = SAMPLES / "imports" / "TT_IM001a__Step1_TT_IM001a.xml"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_token_is_issued_for_valid_credentials_and_authenticates(importer, password):
    anonymous = APIClient()
    response = anonymous.post(
        "/api/v1/auth/token", {"username": "importer", "password": password}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anonymous.get("/api/v1/declarations").status_code == 200


def test_token_is_refused_for_a_wrong_password(importer):
    response = APIClient().post(
        "/api/v1/auth/token", {"username": "importer", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_anonymous_request_is_refused_with_the_error_shape():
    response = APIClient().get("/api/v1/declarations")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_json_lodgement_is_accepted_with_an_mrn_and_stored_whole(importer):
    response = client_for(importer).post("/api/v1/declarations", import_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert mrn_is_valid(body["mrn"])
    assert body["status"] == "accepted"
    assert body["lrn"] == "API-IM-0001"
    assert body["items_count"] == 2
    declaration = Declaration.objects.get(mrn=body["mrn"])
    assert declaration.trader_account.eori == "GB553202734852"
    assert [i.commodity_code for i in declaration.items.all()] == ["85109000", "85102000"]
    assert body["declaration"]["items"][1]["net_mass"] == "40.5"


def test_accepted_declaration_writes_audit_event_and_outbox_row_together(importer):
    response = client_for(importer).post("/api/v1/declarations", import_payload(), format="json")
    declaration = Declaration.objects.get(mrn=response.json()["mrn"])
    event = AuditEvent.objects.get(action="declarations.declaration.accepted", object_id=declaration.pk)
    assert event.actor == importer
    assert event.data["to"] == "accepted"
    assert (
        OutboxMessage.objects.filter(
            topic="declarations.declaration.accepted", object_id=declaration.pk
        ).count()
        == 1
    )


def test_json_field_errors_point_at_the_item_field(importer):
    payload = import_payload()
    payload["items"][1]["net_mass"] = "heavy"
    response = client_for(importer).post("/api/v1/declarations", payload, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"items.2.net_mass"} == {e["pointer"] for e in errors}
    assert Declaration.objects.count() == 0


def test_unknown_hs_code_is_rejected_with_the_item_pointer_and_nothing_stored(importer):
    payload = import_payload()
    payload["items"][1]["commodity_code"] = "99999900"
    response = client_for(importer).post("/api/v1/declarations", payload, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(
        e["field"] == "items.2.commodity_code" and e["pointer"].startswith("67A/68A[2]") for e in errors
    )
    assert Declaration.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="declarations.").exists()


def test_same_lrn_same_content_returns_the_first_declaration(importer):
    client = client_for(importer)
    first = client.post("/api/v1/declarations", import_payload(), format="json")
    again = client.post("/api/v1/declarations", import_payload(), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["mrn"] == first.json()["mrn"]
    assert Declaration.objects.count() == 1


def test_same_lrn_different_content_is_a_conflict(importer):
    client = client_for(importer)
    client.post("/api/v1/declarations", import_payload(), format="json")
    changed = import_payload(invoice_amount="1600")
    response = client.post("/api/v1/declarations", changed, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "lrn_conflict"
    assert Declaration.objects.count() == 1


def test_idempotency_key_replays_the_first_answer(importer):
    client = client_for(importer)
    first = client.post("/api/v1/declarations", import_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    replay = client.post("/api/v1/declarations", import_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert Declaration.objects.count() == 1


def test_idempotency_key_reused_with_another_body_is_refused(importer):
    client = client_for(importer)
    client.post("/api/v1/declarations", import_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = client.post(
        "/api/v1/declarations", import_payload(lrn="OTHER-LRN"), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"


def test_a_repeat_while_the_first_request_with_its_key_runs_is_told_to_retry(importer, monkeypatch):
    monkeypatch.setattr("singlewindow.api.IDEMPOTENCY_WAIT_SECONDS", 0)
    body = json.dumps(import_payload(), sort_keys=True, default=str).encode()
    IdempotencyKey.objects.create(user=importer, key="k-busy", request_hash=hashlib.sha256(body).hexdigest())
    client = client_for(importer)
    response = client.post(
        "/api/v1/declarations", import_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-busy"
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "idempotency_in_progress"
    assert response["Retry-After"] == "1"
    assert Declaration.objects.count() == 0
    assert IdempotencyKey.objects.get(key="k-busy").status_code is None  # the 409 is not stored


def test_a_reservation_whose_request_died_long_ago_frees_the_key(importer):
    stale = IdempotencyKey.objects.create(user=importer, key="k-dead", request_hash="0" * 64)
    IdempotencyKey.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    client = client_for(importer)
    response = client.post(
        "/api/v1/declarations", import_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-dead"
    )
    assert response.status_code == 201
    assert IdempotencyKey.objects.get(key="k-dead").status_code == 201


def test_a_request_failing_unexpectedly_frees_its_idempotency_key(importer, monkeypatch):
    client = client_for(importer)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr("declarations.services.declaration_lodge", broken)
        with pytest.raises(RuntimeError):
            client.post("/api/v1/declarations", import_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert not IdempotencyKey.objects.filter(key="k-3").exists()
    again = client.post("/api/v1/declarations", import_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again


def test_a_lodgement_whose_answer_cannot_be_read_back_is_answered_with_its_mrn(importer, monkeypatch):
    """The declaration is committed: a database failure reading it back is no reason for a 500."""

    def database_gone(declaration, user):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("declarations.api.views._with_details", database_gone)
    client = client_for(importer)
    response = client.post(
        "/api/v1/declarations", import_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-4"
    )
    assert response.status_code == 201
    declaration = Declaration.objects.get()
    body = response.json()
    assert (body["mrn"], body["lrn"], body["status"]) == (declaration.mrn, declaration.lrn, "accepted")
    assert body["detail_unavailable"] is True
    assert response["Location"] == body["url"] == f"http://testserver/api/v1/declarations/{declaration.mrn}"
    replay = client.post("/api/v1/declarations", import_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert (replay.status_code, replay.json()["mrn"]) == (201, declaration.mrn)


def test_xml_lodgement_of_a_real_sample_is_accepted(broker):
    response = client_for(broker).post(
        "/api/v1/declarations", IM001A.read_bytes(), content_type="application/xml"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["lrn"] == "7847767E1WB6"
    assert body["declarant"] == "GB603202734852"
    assert body["trader"] == "GB553202734852"
    assert body["declaration"]["items"][0]["commodity_code"] == "85109000"


def test_xml_with_a_doctype_is_refused_before_any_work(broker):
    body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    response = client_for(broker).post("/api/v1/declarations", body, content_type="application/xml")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]
    assert Declaration.objects.count() == 0


def test_body_over_the_size_cap_is_refused_with_413(broker, settings):
    settings.SW_MAX_XML_BYTES = 1000
    response = client_for(broker).post(
        "/api/v1/declarations", b"<a>" + b"x" * 2000 + b"</a>", content_type="application/xml"
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "too_large"


def test_not_json_is_a_clear_400(importer):
    response = client_for(importer).post("/api/v1/declarations", b"{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "not_json"


def test_lodging_for_an_account_the_user_may_not_act_for_is_refused(outsider, importer_account):
    response = client_for(outsider).post("/api/v1/declarations", import_payload(), format="json")
    assert response.status_code == 400
    codes = {e["code"] for e in response.json()["errors"]}
    assert "not_authorised_declarant" in codes
    assert Declaration.objects.count() == 0


def test_importer_cannot_lodge_a_sample_whose_declarant_is_the_broker(importer, broker_account):
    response = client_for(importer).post(
        "/api/v1/declarations", IM001A.read_bytes(), content_type="application/xml"
    )
    assert response.status_code == 400
    assert "not_authorised_declarant" in {e["code"] for e in response.json()["errors"]}


def test_declaration_lodged_by_broker_is_visible_to_importer_and_broker_but_404_to_outsider(
    broker, importer, outsider
):
    mrn = (
        client_for(broker)
        .post("/api/v1/declarations", IM001A.read_bytes(), content_type="application/xml")
        .json()["mrn"]
    )
    assert client_for(importer).get(f"/api/v1/declarations/{mrn}").status_code == 200
    assert client_for(broker).get(f"/api/v1/declarations/{mrn}").status_code == 200
    assert client_for(outsider).get(f"/api/v1/declarations/{mrn}").status_code == 404
    assert client_for(outsider).get(f"/api/v1/declarations/{mrn}/xml").status_code == 404
    assert client_for(outsider).get("/api/v1/declarations").json()["count"] == 0


def test_missing_and_foreign_declarations_get_the_same_404(importer, outsider):
    mrn = client_for(importer).post("/api/v1/declarations", import_payload(), format="json").json()["mrn"]
    foreign = client_for(outsider).get(f"/api/v1/declarations/{mrn}")
    missing = client_for(outsider).get("/api/v1/declarations/26GB0000000000000X")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_list_is_filterable_by_status_lrn_and_mrn(importer):
    client = client_for(importer)
    first = client.post("/api/v1/declarations", import_payload(lrn="LRN-A"), format="json").json()
    client.post("/api/v1/declarations", import_payload(lrn="LRN-B"), format="json")
    assert client.get("/api/v1/declarations").json()["count"] == 2
    assert [d["lrn"] for d in client.get("/api/v1/declarations?lrn=LRN-A").json()["results"]] == ["LRN-A"]
    assert client.get(f"/api/v1/declarations?mrn={first['mrn']}").json()["count"] == 1
    assert client.get("/api/v1/declarations?status=released").json()["count"] == 0
    assert client.get("/api/v1/declarations?status=accepted").json()["count"] == 2


def test_list_query_count_does_not_grow_with_declarations(importer, django_assert_num_queries):
    client = client_for(importer)
    for n in range(3):
        client.post("/api/v1/declarations", import_payload(lrn=f"LRN-Q{n}"), format="json")
    # As a client's software calls it: a token, so every request loads its user afresh.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=importer, name='test')[1]}")
    client.get("/api/v1/declarations")  # the token's first use is recorded (last_used_at)
    # token with its user, the user's role, membership-scoped count, the page
    with django_assert_num_queries(4):
        assert client.get("/api/v1/declarations").json()["count"] == 3
    for n in range(3, 8):
        client_for(importer).post("/api/v1/declarations", import_payload(lrn=f"LRN-Q{n}"), format="json")
    with django_assert_num_queries(4):
        assert client.get("/api/v1/declarations").json()["count"] == 8


def test_xml_download_validates_and_reads_back_to_the_same_content(importer):
    from declarations.wco.reader import read_declaration
    from declarations.wco.schema import schema_issues

    client = client_for(importer)
    body = client.post("/api/v1/declarations", import_payload(), format="json").json()
    response = client.get(f"/api/v1/declarations/{body['mrn']}/xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    root = etree.fromstring(response.content)
    assert schema_issues(root) == []
    assert read_declaration(response.content).data.to_dict() == body["declaration"]


def test_openapi_schema_and_docs_page_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn." not in docs.content


def test_status_of_accepted_declaration_is_accepted(importer):
    body = client_for(importer).post("/api/v1/declarations", import_payload(), format="json").json()
    assert Declaration.objects.get(mrn=body["mrn"]).status == Status.ACCEPTED
