"""Routing and consolidating one declaration costs a fixed, small number of SQL statements."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies import routing
from agencies.models import Agency, ReviewStatus
from clearance import services
from clearance.risk import cache as risk_cache
from declarations.models import Status
from singlewindow.models import AuditEvent
from tests.agencies.fixtures import client_for, mixed_payload

pytestmark = pytest.mark.django_db


def _lodged(importer, capture):
    from declarations.models import Declaration

    with capture(execute=False):  # routing not run: the test runs it itself
        response = client_for(importer).post("/api/v1/declarations", mixed_payload(), format="json")
    assert response.status_code == 201
    return Declaration.objects.get(mrn=response.json()["mrn"])


def test_routing_three_auto_approved_agencies_assessing_and_releasing_takes_thirty_two_statements(
    importer, agencies, django_capture_on_commit_callbacks
):
    Agency.objects.update(auto_decide=True)
    declaration = _lodged(importer, django_capture_on_commit_callbacks)
    routing.active_rules()  # the rules are cached: a routing checks their stamp, no more
    risk_cache.active_risk_rules()  # so are the risk rules and thresholds
    with CaptureQueriesContext(connection) as queries:
        result = services.declaration_route(declaration_id=declaration.pk)
    # In a test the durable transaction is a savepoint (BEGIN and COMMIT in production).
    outer = queries.captured_queries[0]["sql"], queries.captured_queries[-1]["sql"]
    assert outer[0].startswith("SAVEPOINT") and outer[1].startswith("RELEASE SAVEPOINT")
    statements = [q["sql"] for q in queries.captured_queries[1:-1]]
    assert result is not None and result.decision is not None
    # Lock (with the trader account, unlocked: its AEO status gives the reviews' queue priority,
    # agencies.services.review_priority), items, their tax lines, documents (read once on the locked
    # row: the duties assessment reuses them and the lock; until issue 11 it read the declaration,
    # documents, items and tax lines again and the assessments twice, and the trader account apart),
    # rules' stamp; the document codes the agencies routed to hold licences under (agencies.licences;
    # none here, so nothing locked); reviews, their items, the audit chain's head (lock and read, once
    # per transaction: singlewindow.auditchain), 6 review events; routed (update, event); the
    # assessment (the version's assessment and the current one in one query, fee rules, tariff
    # measures, the assessment, its lines, its event: nothing to pay, so nothing posted or secured);
    # the money condition (one query: nothing charged); decision, released (update, event), the DMS
    # response to the trader and whether its accounts registered an endpoint, recipients,
    # notification, the outbox row of the release decision (insights' clearance facts). Without
    # PostgreSQL the rules are read instead of stamped (two queries instead of one). The controls:
    # consolidation's lane and open controls (two; routing passes the risk assessment to
    # controls_open). Customs' risk assessment: the risk rules' stamp, the assessment (one upsert) and
    # its audit event (no risk rule here, so no facts to read).
    assert len(statements) == (32 if connection.vendor == "postgresql" else 34), statements
    assert sum(1 for s in statements if "singlewindow_audit_chain_head" in s) == (
        1 if connection.vendor == "postgresql" else 0
    )
    assert not [s for s in statements if "SAVEPOINT" in s]
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    assert set(declaration.reviews.values_list("status", flat=True)) == {ReviewStatus.AUTO_APPROVED}
    actions = list(
        AuditEvent.objects.filter(object_type="agencies.agencyreview").values_list("action", flat=True)
    )
    assert actions == ["agencies.review.created", "agencies.review.auto_approved"] * 3
    declaration_actions = list(
        AuditEvent.objects.filter(object_type="declarations.declaration", object_id=declaration.pk)
        .exclude(action="declarations.declaration.accepted")
        .values_list("action", flat=True)
    )
    assert declaration_actions == ["declarations.declaration.routed", "declarations.declaration.released"]
