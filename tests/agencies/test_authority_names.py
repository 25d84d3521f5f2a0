"""Traders see which agency acted, never an officer's or a supervisor's username; staff still do.

And only an officer (the role) of an agency takes and decides its reviews: a customs supervisor
attached to customs decides releases, not customs' reviews.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts.models import Role
from agencies.access import agency_add_officer
from agencies.models import InformationRequest, ReviewStatus
from tests.factories import UserFactory

from .fixtures import TEA, client_for, item, lodge, payload_with, review_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def sup_jones(customs):
    """A customs supervisor attached to customs, as the demo's supervisor is."""
    user = UserFactory(username="sup_jones", role=Role.SUPERVISOR.value)
    agency_add_officer(agency=customs, user=user)
    return user


@pytest.fixture
def asked_and_released(routed, plant_officer, importer, sup_jones, django_capture_on_commit_callbacks):
    """The plant officer asked the importer a question, the importer answered, the supervisor released."""
    review = review_of(routed, "plant-health")
    with django_capture_on_commit_callbacks(execute=True):
        asked = client_for(plant_officer).post(
            f"/api/v1/reviews/{review.pk}/decision",
            {"outcome": "info_requested", "reason": "Which nursery grew the roses?"},
            format="json",
        )
    assert asked.status_code == 200, asked.json()
    question = InformationRequest.objects.get(review=review)
    with django_capture_on_commit_callbacks(execute=True):
        answered = client_for(importer).post(
            f"/api/v1/information-requests/{question.pk}/answer", {"answer": "Nursery 7"}, format="json"
        )
    with django_capture_on_commit_callbacks(execute=True):
        released = client_for(sup_jones).post(
            f"/api/v1/declarations/{routed.mrn}/override",
            {"outcome": "released", "reason": "Perishable, cleared at the dock"},
            format="json",
        )
    assert released.status_code == 200, released.json()
    return {"declaration": routed, "answered": answered}


STAFF_NAMES = ("plant_officer", "sup_jones")


def assert_no_staff_names(text: str) -> None:
    for name in STAFF_NAMES:
        assert name not in text


def test_trader_api_shows_the_agency_in_the_timeline_and_the_question_never_the_officer(
    asked_and_released, importer
):
    declaration = asked_and_released["declaration"]
    answered = asked_and_released["answered"]
    assert answered.status_code == 200
    assert answered.json()["asked_by"] == "Plant Health Inspectorate"
    client = client_for(importer)

    detail = client.get(f"/api/v1/declarations/{declaration.mrn}")
    actors = {e["action"]: e["actor"] for e in detail.json()["timeline"]}

    assert actors["agencies.review.info_requested"] == "Plant Health Inspectorate"
    assert actors["clearance.release.overridden"] == "Customs"
    assert actors["declarations.declaration.accepted"] == "importer"  # the trader side keeps its names
    assert_no_staff_names(detail.content.decode())
    for path in (f"/api/v1/declarations/{declaration.mrn}/release-note", "/api/v1/notifications"):
        response = client.get(path)
        assert response.status_code == 200
        assert_no_staff_names(response.content.decode())


def test_trader_pages_show_the_agency_never_the_officer(asked_and_released, importer, client):
    declaration = asked_and_released["declaration"]
    client.force_login(importer)

    for path in (
        f"/declarations/{declaration.mrn}/",
        f"/clearance/declarations/{declaration.mrn}/release-note/",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert_no_staff_names(response.content.decode())
    page = client.get(f"/declarations/{declaration.mrn}/").content.decode()
    assert "Decided by a customs supervisor" in page
    assert "Plant Health Inspectorate" in page


def test_staff_still_see_who_acted(asked_and_released, supervisor):
    declaration = asked_and_released["declaration"]

    detail = client_for(supervisor).get(f"/api/v1/declarations/{declaration.mrn}").json()

    actors = {e["action"]: e["actor"] for e in detail["timeline"]}
    assert actors["agencies.review.info_requested"] == "plant_officer"
    assert actors["clearance.release.overridden"] == "sup_jones"


# --- who decides an agency's review ----------------------------------------------------------------


def test_customs_supervisor_attached_to_customs_may_not_take_or_decide_its_reviews(
    importer, agencies, sup_jones, django_capture_on_commit_callbacks
):
    declaration = lodge(importer, payload_with(item(1, TEA), lrn="CUS-1"), django_capture_on_commit_callbacks)
    review = review_of(declaration, "customs")
    client = client_for(sup_jones)

    claim = client.post(f"/api/v1/reviews/{review.pk}/claim")
    decide = client.post(f"/api/v1/reviews/{review.pk}/decision", {"outcome": "approved"}, format="json")

    for response in (claim, decide):
        assert response.status_code == 403, response.json()
        [error] = response.json()["errors"]
        assert error["code"] == "officers_only"
        assert "Customs and Excise" in error["message"]
    review.refresh_from_db()
    assert (review.status, review.claimed_by) == (ReviewStatus.PENDING, None)


def test_supervisor_who_is_also_an_officer_of_customs_decides_its_reviews(
    importer, agencies, sup_jones, django_capture_on_commit_callbacks, client
):
    sup_jones.groups.add(Group.objects.get_or_create(name=Role.OFFICER.value)[0])
    declaration = lodge(importer, payload_with(item(1, TEA), lrn="CUS-2"), django_capture_on_commit_callbacks)
    review = review_of(declaration, "customs")

    response = client_for(sup_jones).post(
        f"/api/v1/reviews/{review.pk}/decision", {"outcome": "approved"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == ReviewStatus.APPROVED


def test_supervisor_page_of_a_customs_review_offers_no_decision(
    importer, agencies, sup_jones, django_capture_on_commit_callbacks, client
):
    declaration = lodge(importer, payload_with(item(1, TEA), lrn="CUS-3"), django_capture_on_commit_callbacks)
    review = review_of(declaration, "customs")
    client.force_login(sup_jones)

    page = client.get(f"/agencies/reviews/{review.pk}/")
    posted = client.post(f"/agencies/reviews/{review.pk}/claim/")

    assert page.status_code == 200
    assert f'action="/agencies/reviews/{review.pk}/claim/"' not in page.content.decode()
    assert posted.status_code == 302
    review.refresh_from_db()
    assert review.claimed_by is None
