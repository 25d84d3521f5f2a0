"""A broker whose representation of an account was revoked no longer acts on its declarations."""

from __future__ import annotations

import pytest

from accounts.access import account_revoke_representative
from agencies.models import InformationRequest

from .fixtures import client_for, lodge, mixed_payload, review_of

pytestmark = pytest.mark.django_db


def test_broker_with_a_revoked_representation_cannot_answer_the_agencys_question(
    broker, importer_account, agencies, plant_officer, django_capture_on_commit_callbacks
):
    declaration = lodge(broker, mixed_payload(), django_capture_on_commit_callbacks)
    review = review_of(declaration, "plant-health")
    asked = client_for(plant_officer).post(
        f"/api/v1/reviews/{review.pk}/decision", {"outcome": "info_requested", "reason": "Which nursery?"}
    )
    assert asked.status_code == 200, asked.json()
    question = InformationRequest.objects.get(review=review)
    url = f"/api/v1/information-requests/{question.pk}/answer"

    account_revoke_representative(account=importer_account, user=broker)

    assert client_for(broker).post(url, {"answer": "Nursery 7"}).status_code == 404
    question.refresh_from_db()
    assert question.answer == ""


def test_broker_with_a_revoked_representation_is_no_longer_told_of_questions_or_decisions(
    broker, importer, importer_account, agencies, plant_officer, django_capture_on_commit_callbacks
):
    from clearance.models import Notification

    declaration = lodge(broker, mixed_payload(lrn="REVOKED-NOTIFY"), django_capture_on_commit_callbacks)
    account_revoke_representative(account=importer_account, user=broker)
    review = review_of(declaration, "plant-health")
    with django_capture_on_commit_callbacks(execute=True):
        asked = client_for(plant_officer).post(
            f"/api/v1/reviews/{review.pk}/decision", {"outcome": "info_requested", "reason": "Which nursery?"}
        )
    assert asked.status_code == 200, asked.json()
    told = set(Notification.objects.filter(declaration=declaration).values_list("user__username", flat=True))
    assert told == {"importer"}


def test_broker_still_representing_the_account_is_told(
    broker, importer, importer_account, agencies, plant_officer, django_capture_on_commit_callbacks
):
    from clearance.models import Notification

    declaration = lodge(broker, mixed_payload(lrn="STILL-NOTIFY"), django_capture_on_commit_callbacks)
    review = review_of(declaration, "plant-health")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(plant_officer).post(
            f"/api/v1/reviews/{review.pk}/decision", {"outcome": "info_requested", "reason": "Which nursery?"}
        )
    told = set(Notification.objects.filter(declaration=declaration).values_list("user__username", flat=True))
    assert told == {"importer", "broker"}
