"""Schemathesis over the whole API, in-process, as a trader, an agency officer and a supervisor.

Every operation of ``/api/schema/`` (drf-spectacular) gets schema-valid and schema-invalid
requests from Hypothesis, some aimed at objects that exist (a routed declaration, its reviews, a
question, an attachment, a notification). Each answer must not be a server error, must carry a
status code and content type the schema documents for the operation, and a body that validates
against the documented schema (types, required and nullable fields).

Deterministic (``derandomize``) and bounded (``EXAMPLES`` per mode and operation) so it runs in
the suite on two cores. Nothing is excluded: every operation is safe to call at random in a test
database (lodgement, claims and decisions only change this test's data).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import api_token_create
from agencies.models import InformationRequest
from agencies.services import information_answer, review_decide
from clearance.models import Notification, NotificationKind
from clearance.services import release_override
from tests.agencies.fixtures import ROSES, item, lodge, payload_with, review_of

pytestmark = pytest.mark.django_db

EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 10}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def in_test_transaction() -> Iterator[None]:
    """Requests go through the real WSGI handler, inside the test's transaction.

    The handler closes the database connection when a request finishes (CONN_MAX_AGE 0), which
    would end the test's transaction; Django's own test client turns that off the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(
    routed, importer, plant_officer, supervisor, media_in_tmp, django_capture_on_commit_callbacks
) -> dict[str, Any]:
    """A routed declaration whose plant-health review asked a question the trader answered with a
    file (the review is back with the officer), a released one, and the trader's notification."""
    review = review_of(routed, "plant-health")
    review_decide(review=review, officer=plant_officer, outcome="info_requested", reason="Which nursery?")
    question = InformationRequest.objects.get(review=review)
    upload = SimpleUploadedFile("nursery.txt", b"Nursery 7", content_type="text/plain")
    information_answer(information_request=question, user=importer, answer="Nursery 7", attachments=[upload])
    released = lodge(
        importer, payload_with(item(1, ROSES), lrn="FZ-RELEASED"), django_capture_on_commit_callbacks
    )
    release_override(declaration=released, supervisor=supervisor, outcome="released", reason="Perishable")
    return {
        "mrn": [routed.mrn, released.mrn],
        "review": [review.pk, review_of(released, "plant-health").pk],
        "question": [question.pk],
        "attachment": [question.attachments.get().pk],
        "notification": [
            Notification.objects.create(
                user=importer,
                declaration=routed,
                kind=NotificationKind.INFO_REQUESTED,
                message="Which nursery?",
            ).pk
        ],
    }


def known_path_parameters(operation: Any, world: dict[str, Any]) -> list[dict[str, Any]]:
    """Path parameters naming objects that exist, so examples also reach past the 404."""
    path = operation.path
    if "{mrn}" in path:
        return [{"mrn": mrn} for mrn in world["mrn"]]
    for prefix, key in (
        ("/reviews/", "review"),
        ("/information-requests/", "question"),
        ("/attachments/", "attachment"),
        ("/notifications/", "notification"),
    ):
        if prefix in path:
            return [{"id": pk} for pk in world[key]]
    return []


def closing(app: Any) -> Any:
    """The WSGI app, with each answer read and closed as a server does (a file download's handle)."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            result.close()

    return wrapped


def negatable(schema: Any, operation: Any) -> bool:
    """Whether a request can break the operation's schema: a body, a query parameter, or a path
    parameter that is not free text (an ``{mrn}`` is any string: every string is schema-valid)."""
    raw = schema.raw_schema["paths"][operation.path][operation.method.lower()]
    parameters = [p for p in raw.get("parameters", []) if p.get("in") != "header"]
    return "requestBody" in raw or any(
        p["in"] == "query" or p.get("schema", {}).get("type") != "string" for p in parameters
    )


def fuzz(user: Any, world: dict[str, Any]) -> list[str]:
    """Run every operation as ``user``; the failures, one line each (empty: all answers conform)."""
    # Made directly, as an agency's system holds one: the sign-in endpoint may ask officers for more.
    headers = {"Authorization": f"Token {api_token_create(user=user, name='fuzz')[1]}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", closing(get_wsgi_application()))
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        known = known_path_parameters(operation, world)
        for mode, examples in EXAMPLES.items():
            if mode is GenerationMode.NEGATIVE and not negatable(schema, operation):
                continue
            strategy = operation.as_strategy(generation_mode=mode)
            if mode is GenerationMode.POSITIVE:
                existing = [operation.as_strategy(generation_mode=mode, path_parameters=p) for p in known]
                strategy = st.one_of(strategy, *existing)

            @settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case: Any) -> None:
                # Each example starts from the same data, and a failed statement (a 500 found)
                # does not leave PostgreSQL's transaction aborted for the examples after it.
                savepoint = transaction.savepoint()
                try:
                    response = case.call(headers=headers)
                finally:
                    transaction.savepoint_rollback(savepoint)
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # collected: one run reports every operation
                failures.append(f"{operation.label} ({mode.value}): {str(exc).strip()[:2000]}")
    return failures


def test_fuzzed_api_as_a_trader_answers_as_documented(world, importer, in_test_transaction):
    failures = fuzz(importer, world)
    assert not failures, "\n\n".join(failures)


def test_fuzzed_api_as_an_agency_officer_answers_as_documented(world, plant_officer, in_test_transaction):
    failures = fuzz(plant_officer, world)
    assert not failures, "\n\n".join(failures)


def test_fuzzed_api_as_a_customs_supervisor_answers_as_documented(world, supervisor, in_test_transaction):
    # The one persona that reaches the override with a declaration that exists.
    failures = fuzz(supervisor, world)
    assert not failures, "\n\n".join(failures)
