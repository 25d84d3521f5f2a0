"""Races PostgreSQL must settle: claims, routing and consolidation run concurrently."""

from __future__ import annotations

from typing import Any

import pytest

from agencies import services
from agencies.access import agency_add_officer
from agencies.errors import ReviewConflict
from agencies.models import AgencyReview
from clearance import services as clearance
from clearance.models import Notification, ReleaseDecision
from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Channel, Declaration, Status
from declarations.services import declaration_lodge
from singlewindow import outbox
from singlewindow.models import AuditEvent
from tests.concurrency import run_together
from tests.factories import UserFactory

from .fixtures import client_for, mixed_payload, review_of

pytestmark = [pytest.mark.fullstack, pytest.mark.django_db(transaction=True)]


def lodged(importer, lrn: str) -> Declaration:
    serializer = DeclarationInputSerializer(data=mixed_payload(lrn=lrn))
    assert serializer.is_valid(), serializer.errors
    return declaration_lodge(
        user=importer, data=serializer.to_declaration_data(), channel=Channel.API_JSON
    ).declaration


def test_four_officers_claim_at_once_and_exactly_one_wins(importer, agencies, plant_health):
    declaration = lodged(importer, "RACE-CLAIM")  # routed after commit, in this thread
    review = review_of(declaration, "plant-health")
    officers = []
    for n in range(4):
        officer = UserFactory(username=f"plant_officer_{n}", role="officer")
        agency_add_officer(agency=plant_health, user=officer)
        officers.append(officer)
    results, failures = run_together(
        [lambda o=o: services.review_claim(review=review, officer=o) for o in officers]
    )
    assert len(results) == 1
    assert len(failures) == 3
    assert all(isinstance(f, ReviewConflict) and f.code == "review_claimed" for f in failures)
    assert AgencyReview.objects.get(pk=review.pk).claimed_by == results[0].claimed_by


def test_concurrent_routing_opens_each_review_once(importer, agencies, monkeypatch):
    monkeypatch.setitem(outbox._HANDLERS, "declarations.declaration.accepted", [])
    declaration = lodged(importer, "RACE-ROUTE")
    assert Declaration.objects.get(pk=declaration.pk).status == Status.ACCEPTED
    results, failures = run_together(
        [lambda: clearance.declaration_route(declaration_id=declaration.pk) for _ in range(4)]
    )
    assert failures == []
    assert sum(r is not None for r in results) == 1
    assert AgencyReview.objects.filter(declaration=declaration).count() == 3


def test_last_decisions_at_once_record_one_release(
    importer, agencies, plant_officer, food_officer, standards_officer
):
    declaration = lodged(importer, "RACE-CONSOLIDATE")
    jobs = [
        lambda code=code, officer=officer: services.review_decide(
            review=review_of(declaration, code), officer=officer, outcome="approved"
        )
        for code, officer in (
            ("plant-health", plant_officer),
            ("food-safety", food_officer),
            ("standards", standards_officer),
        )
    ]
    results, failures = run_together(jobs)
    assert failures == []
    assert Declaration.objects.get(pk=declaration.pk).status == Status.RELEASED
    assert ReleaseDecision.objects.filter(declaration=declaration).count() == 1
    assert Notification.objects.filter(declaration=declaration).count() == 1


def test_one_decision_sent_twice_at_once_with_one_idempotency_key_is_recorded_once_and_answered_alike(
    routed, plant_officer
):
    """Before the key was reserved first, both requests ran: the loser's 409 could be stored first,
    and then both callers were told 409 for a decision that was recorded, for ever."""
    review = review_of(routed, "plant-health")
    path = f"/api/v1/reviews/{review.pk}/decision"
    payload = {"outcome": "rejected", "reason": "No phytosanitary certificate"}

    def post() -> Any:
        return client_for(plant_officer).post(
            path, payload, format="json", headers={"Idempotency-Key": "decide-race"}
        )

    responses, failures = run_together([post, post])
    assert failures == []
    by_status = sorted(responses, key=lambda r: (r.status_code, "Idempotent-Replayed" in r.headers))
    first = by_status[0]
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "rejected"
    other = by_status[1]
    if other.status_code == 409:  # the first took longer than the wait: told to retry, not stored
        assert other.json()["errors"][0]["code"] == "idempotency_in_progress"
        assert other.headers["Retry-After"] == "1"
    else:
        assert other.status_code == 200
        assert other.headers["Idempotent-Replayed"] == "true"
        assert other.json() == first.json()
    retried = post()
    assert (retried.status_code, retried.json()) == (200, first.json())
    assert AgencyReview.objects.get(pk=review.pk).status == "rejected"
    assert (
        AuditEvent.objects.filter(
            object_type="agencies.agencyreview", object_id=review.pk, action="agencies.review.rejected"
        ).count()
        == 1
    )
