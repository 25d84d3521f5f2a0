"""Races the database must settle: the same LRN lodged concurrently creates one declaration."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Channel, Declaration
from declarations.services import declaration_lodge
from singlewindow.models import AuditEvent
from tests.concurrency import run_together

from .payloads import import_payload

pytestmark = [pytest.mark.fullstack, pytest.mark.django_db(transaction=True)]


def canonical(payload):
    serializer = DeclarationInputSerializer(data=payload)
    assert serializer.is_valid(), serializer.errors
    return serializer.to_declaration_data()


def test_concurrent_identical_lodgements_of_one_lrn_create_one_declaration(importer):
    data = canonical(import_payload(lrn="RACE-1"))
    results, failures = run_together(
        [lambda: declaration_lodge(user=importer, data=data, channel=Channel.API_JSON)] * 4
    )

    assert failures == []
    assert Declaration.objects.filter(lrn="RACE-1").count() == 1
    assert len({r.declaration.mrn for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert AuditEvent.objects.filter(action="declarations.declaration.accepted").count() == 1


def test_one_lodgement_sent_twice_at_once_with_one_idempotency_key_answers_the_same_mrn(importer):
    from .test_api import client_for

    payload = import_payload(lrn="RACE-KEY")

    def post() -> Any:
        return client_for(importer).post(
            "/api/v1/declarations", payload, format="json", headers={"Idempotency-Key": "lodge-race"}
        )

    responses, failures = run_together([post, post])

    assert failures == []
    assert Declaration.objects.filter(lrn="RACE-KEY").count() == 1
    mrn = Declaration.objects.get(lrn="RACE-KEY").mrn
    answered = [r for r in responses if r.status_code != 409]
    assert {r.status_code for r in answered} == {201}
    assert {r.json()["mrn"] for r in answered} == {mrn}
    assert sum("Idempotent-Replayed" in r.headers for r in answered) == len(answered) - 1
    for told_to_retry in (r for r in responses if r.status_code == 409):
        assert told_to_retry.json()["errors"][0]["code"] == "idempotency_in_progress"
    assert AuditEvent.objects.filter(action="declarations.declaration.accepted").count() == 1


def test_the_database_connection_dropped_after_lodgement_commits_still_answers_in_full(importer, monkeypatch):
    """PostgreSQL ends the web process's session (a restart, a failover) just after the commit."""
    from declarations.api import views

    from .test_api import client_for

    read_back = views._with_details
    terminated = []

    def session_ends_first(declaration, user):
        if not terminated:
            terminated.append(True)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return read_back(declaration, user)

    monkeypatch.setattr(views, "_with_details", session_ends_first)
    response = client_for(importer).post(
        "/api/v1/declarations", import_payload(lrn="AFTER-COMMIT"), format="json"
    )
    assert terminated
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mrn"] == Declaration.objects.get(lrn="AFTER-COMMIT").mrn
    assert "detail_unavailable" not in body
    assert body["declaration"]["lrn"] == "AFTER-COMMIT"
