"""The review API and the declaration API as officers, agency systems, traders and supervisors see it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from rest_framework.test import APIClient

from accounts.services import api_token_create
from agencies.models import InformationRequest, ReviewStatus
from declarations.models import Status

from .fixtures import client_for, lodge, mixed_payload, review_of

pytestmark = pytest.mark.django_db


def test_officer_lists_only_its_agencys_reviews(routed, plant_officer, food_officer):
    body = client_for(plant_officer).get("/api/v1/reviews").json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["agency"] == "plant-health"
    assert row["mrn"] == routed.mrn
    assert row["trader"] == "GB553202734852"
    assert [i["sequence"] for i in row["items"]] == [1]
    assert row["status"] == "pending"
    assert row["overdue"] is False
    assert 0 < row["seconds_left"] <= 24 * 3600


def test_trader_and_outsider_see_no_reviews(routed, importer, outsider):
    for user in (importer, outsider):
        assert client_for(user).get("/api/v1/reviews").json()["count"] == 0


def test_list_filters_by_status_view_mrn_trader_and_hs(routed, plant_officer):
    client = client_for(plant_officer)
    assert client.get("/api/v1/reviews", {"status": "approved"}).json()["count"] == 0
    assert client.get("/api/v1/reviews", {"view": "pending"}).json()["count"] == 1
    assert client.get("/api/v1/reviews", {"view": "mine"}).json()["count"] == 0
    assert client.get("/api/v1/reviews", {"mrn": routed.mrn.lower()}).json()["count"] == 1
    assert client.get("/api/v1/reviews", {"trader": "GB553202734852"}).json()["count"] == 1
    assert client.get("/api/v1/reviews", {"trader": "GB000000000001"}).json()["count"] == 0
    assert client.get("/api/v1/reviews", {"hs": "0603"}).json()["count"] == 1
    assert client.get("/api/v1/reviews", {"hs": "0702"}).json()["count"] == 0
    assert client.get("/api/v1/reviews", {"min_age_hours": "1"}).json()["count"] == 0
    bad = client.get("/api/v1/reviews", {"status": "sideways"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["pointer"] == "status"


def test_review_list_query_count_does_not_grow_with_reviews(
    importer, agencies, plant_officer, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # As an agency system calls it: a token, so every request loads its user afresh.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=plant_officer, name='test')[1]}")
    lodge(importer, mixed_payload(lrn="Q-1"), django_capture_on_commit_callbacks)
    client.get("/api/v1/reviews")  # warm the content-type cache
    # token with its user, user's role, its agency ids (the queue filters on them as literals),
    # count, the page of reviews with declaration/trader/agency, items
    with django_assert_num_queries(6):
        assert client.get("/api/v1/reviews").json()["count"] == 1
    for n in range(2, 8):
        lodge(importer, mixed_payload(lrn=f"Q-{n}"), django_capture_on_commit_callbacks)
    with django_assert_num_queries(6):
        assert client.get("/api/v1/reviews").json()["count"] == 7


def test_review_detail_shows_items_documents_reasons_and_history(
    routed, plant_officer, importer, django_capture_on_commit_callbacks
):
    review = review_of(routed, "plant-health")
    client_for(plant_officer).post(
        f"/api/v1/reviews/{review.pk}/decision", {"outcome": "approved"}, format="json"
    )
    later = lodge(importer, mixed_payload(lrn="CLR-LATER"), django_capture_on_commit_callbacks)
    body = client_for(plant_officer).get(f"/api/v1/reviews/{review_of(later, 'plant-health').pk}").json()
    assert [i["sequence"] for i in body["items"]] == [1]
    assert body["items"][0]["documents"][0]["code"] == "N935"
    assert body["declaration"]["documents"][0]["code"] == "ZDCR"
    assert body["reasons"][0]["rule_name"] == "Cut flowers"
    assert body["missing_documents"][0]["code"] == "N851"
    assert body["trader_history"] == [
        {
            "mrn": routed.mrn,
            "declaration_status": "in_review",
            "status": "approved",
            "decided_at": body["trader_history"][0]["decided_at"],
            "decision_reason": "",
        }
    ]


def test_officer_of_another_agency_gets_404_for_the_review(routed, food_officer, importer, supervisor):
    review = review_of(routed, "plant-health")
    for user in (food_officer, importer):
        client = client_for(user)
        for response in (
            client.get(f"/api/v1/reviews/{review.pk}"),
            client.post(f"/api/v1/reviews/{review.pk}/claim"),
            client.post(f"/api/v1/reviews/{review.pk}/decision", {"outcome": "approved"}, format="json"),
        ):
            assert response.status_code == 404
            assert response.json()["errors"][0]["code"] == "not_found"
    missing = client_for(food_officer).get("/api/v1/reviews/999999")
    assert missing.status_code == 404
    assert missing.json() == client_for(food_officer).get(f"/api/v1/reviews/{review.pk}").json()
    assert client_for(supervisor).get(f"/api/v1/reviews/{review.pk}").status_code == 200


def test_claim_race_one_wins_the_other_gets_a_clear_409(routed, plant_officer, plant_officer_2):
    review = review_of(routed, "plant-health")
    first = client_for(plant_officer).post(f"/api/v1/reviews/{review.pk}/claim")
    assert first.status_code == 200
    assert first.json()["claimed_by"] == "plant_officer"
    second = client_for(plant_officer_2).post(f"/api/v1/reviews/{review.pk}/claim")
    assert second.status_code == 409
    (error,) = second.json()["errors"]
    assert error["code"] == "review_claimed"
    assert "plant_officer" in error["message"]


def test_release_puts_a_claimed_review_back(routed, plant_officer):
    review = review_of(routed, "plant-health")
    client = client_for(plant_officer)
    client.post(f"/api/v1/reviews/{review.pk}/claim")
    body = client.post(f"/api/v1/reviews/{review.pk}/release").json()
    assert body["status"] == "pending"
    assert body["claimed_by"] is None


def test_decision_through_the_api_with_idempotency_key(routed, plant_officer):
    review = review_of(routed, "plant-health")
    client = client_for(plant_officer)
    headers = {"Idempotency-Key": "decide-1"}
    payload = {"outcome": "rejected", "reason": "No phytosanitary certificate"}
    first = client.post(f"/api/v1/reviews/{review.pk}/decision", payload, format="json", headers=headers)
    assert first.status_code == 200
    assert first.json()["status"] == "rejected"
    assert first.json()["decided_by"] == "plant_officer"
    replay = client.post(f"/api/v1/reviews/{review.pk}/decision", payload, format="json", headers=headers)
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    again = client.post(f"/api/v1/reviews/{review.pk}/decision", payload, format="json")
    assert again.status_code == 409


def test_a_decision_whose_answer_cannot_be_read_back_is_answered_with_the_decision(
    routed, plant_officer, monkeypatch
):
    def database_gone(request, review):
        raise OperationalError("server closed the connection unexpectedly")

    review = review_of(routed, "plant-health")
    monkeypatch.setattr("agencies.api.views._detail_response", database_gone)
    response = client_for(plant_officer).post(
        f"/api/v1/reviews/{review.pk}/decision", {"outcome": "rejected", "reason": "No N851"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["decision_reason"]) == (review.pk, "rejected", "No N851")
    assert body["decided_at"] is not None
    assert body["detail_unavailable"] is True
    assert review_of(routed, "plant-health").status == ReviewStatus.REJECTED


def test_decision_errors_come_in_the_one_error_shape(routed, plant_officer):
    review = review_of(routed, "plant-health")
    client = client_for(plant_officer)
    missing_reason = client.post(
        f"/api/v1/reviews/{review.pk}/decision", {"outcome": "rejected"}, format="json"
    )
    assert missing_reason.status_code == 400
    assert missing_reason.json()["errors"] == [
        {"pointer": "reason", "code": "reason_required", "message": "Say why the goods are rejected."}
    ]
    unknown = client.post(f"/api/v1/reviews/{review.pk}/decision", {"outcome": "maybe"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["pointer"] == "outcome"


def test_trader_sees_each_agencys_status_and_time_and_the_release_decision(routed, importer, plant_officer):
    review = review_of(routed, "plant-health")
    client_for(plant_officer).post(
        f"/api/v1/reviews/{review.pk}/decision", {"outcome": "approved"}, format="json"
    )
    body = client_for(importer).get(f"/api/v1/declarations/{routed.mrn}").json()
    reviews = {r["agency"]: r for r in body["reviews"]}
    assert set(reviews) == {"plant-health", "food-safety", "standards"}
    assert reviews["plant-health"]["status"] == "approved"
    assert reviews["plant-health"]["decided_at"] is not None
    assert reviews["standards"]["status"] == "pending"
    assert reviews["standards"]["due_at"]
    assert body["release_decision"] is None
    actions = [e["action"] for e in body["timeline"]]
    assert "agencies.review.approved" in actions
    assert "declarations.declaration.routed" in actions


def test_officer_reads_a_routed_declaration_with_only_its_items(routed, plant_officer):
    body = client_for(plant_officer).get(f"/api/v1/declarations/{routed.mrn}").json()
    assert [i["sequence"] for i in body["declaration"]["items"]] == [1]
    assert [r["agency"] for r in body["reviews"]] == ["plant-health"]
    assert body["items_count"] == 1
    xml = client_for(plant_officer).get(f"/api/v1/declarations/{routed.mrn}/xml")
    assert xml.status_code == 200
    assert b"85109000" not in xml.content
    listing = client_for(plant_officer).get("/api/v1/declarations").json()
    assert [d["mrn"] for d in listing["results"]] == [routed.mrn]
    assert listing["results"][0]["items_count"] == 1  # its item, not the three of the declaration
    assert client_for(routed.lodged_by).get("/api/v1/declarations").json()["results"][0]["items_count"] == 3


def test_officer_gets_404_for_a_declaration_not_routed_to_its_agency(
    importer, agencies, plant_officer, django_capture_on_commit_callbacks
):
    from .fixtures import SHAVER_PARTS, item, payload_with

    standards_only = lodge(
        importer, payload_with(item(1, SHAVER_PARTS), lrn="CLR-STD"), django_capture_on_commit_callbacks
    )
    response = client_for(plant_officer).get(f"/api/v1/declarations/{standards_only.mrn}")
    assert response.status_code == 404
    assert response.json() == client_for(plant_officer).get("/api/v1/declarations/26GBNOSUCHMRN00000").json()


def test_other_trader_gets_404_for_the_declaration(routed, outsider):
    assert client_for(outsider).get(f"/api/v1/declarations/{routed.mrn}").status_code == 404


def test_trader_answers_with_text_and_a_file_through_the_api(routed, plant_officer, importer, outsider):
    review = review_of(routed, "plant-health")
    client_for(plant_officer).post(
        f"/api/v1/reviews/{review.pk}/decision",
        {"outcome": "info_requested", "reason": "Send the certificate"},
        format="json",
    )
    routed.refresh_from_db()
    assert routed.status == Status.INFO_REQUESTED
    request = InformationRequest.objects.get(review=review)
    url = f"/api/v1/information-requests/{request.pk}/answer"
    assert client_for(outsider).post(url, {"answer": "x"}).status_code == 404
    upload = SimpleUploadedFile(
        "certificate.txt", b"Phytosanitary certificate 123", content_type="text/plain"
    )
    response = client_for(importer).post(url, {"answer": "Attached", "files": [upload]}, format="multipart")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["answer"] == "Attached"
    assert [a["name"] for a in body["attachments"]] == ["certificate.txt"]
    assert review_of(routed, "plant-health").status == ReviewStatus.IN_REVIEW
    detail = client_for(plant_officer).get(f"/api/v1/reviews/{review.pk}").json()
    assert detail["information_requests"][0]["answer"] == "Attached"


def test_supervisor_overrides_through_the_api_and_trader_downloads_the_release_note(
    routed, supervisor, importer, plant_officer
):
    url = f"/api/v1/declarations/{routed.mrn}/override"
    assert (
        client_for(plant_officer).post(url, {"outcome": "released", "reason": "x"}, format="json").status_code
        == 404
    )
    no_reason = client_for(supervisor).post(url, {"outcome": "released", "reason": ""}, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"][0]["code"] == "reason_required"
    assert client_for(importer).get(f"/api/v1/declarations/{routed.mrn}/release-note").status_code == 404
    response = client_for(supervisor).post(
        url, {"outcome": "released", "reason": "Perishable, cleared at the dock"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["override"] is True
    body = client_for(importer).get(f"/api/v1/declarations/{routed.mrn}").json()
    assert body["status"] == "released"
    assert body["release_decision"]["override_reason"] == "Perishable, cleared at the dock"
    overridden = [e for e in body["timeline"] if e["action"] == "clearance.release.overridden"]
    assert overridden[0]["actor"] == "Customs"  # the authority, not the supervisor's username
    note = client_for(importer).get(f"/api/v1/declarations/{routed.mrn}/release-note")
    assert note.status_code == 200
    assert routed.mrn in note.content.decode()
    assert "Perishable, cleared at the dock" in note.content.decode()
    notifications = client_for(importer).get("/api/v1/notifications").json()
    assert notifications["results"][0]["kind"] == "released"
    read = client_for(importer).post(f"/api/v1/notifications/{notifications['results'][0]['id']}/read")
    assert read.json()["read_at"] is not None
    assert client_for(importer).get("/api/v1/notifications", {"unread": "1"}).json()["count"] == 0


def test_claims_stay_internal_to_the_agency_on_the_traders_timeline(routed, importer, plant_officer):
    review = review_of(routed, "plant-health")
    client_for(plant_officer).post(f"/api/v1/reviews/{review.pk}/claim")
    trader_actions = [
        e["action"] for e in client_for(importer).get(f"/api/v1/declarations/{routed.mrn}").json()["timeline"]
    ]
    officer_actions = [
        e["action"]
        for e in client_for(plant_officer).get(f"/api/v1/declarations/{routed.mrn}").json()["timeline"]
    ]
    assert "agencies.review.claimed" not in trader_actions
    assert "agencies.review.claimed" in officer_actions


def test_officer_reads_only_its_agencys_part_of_the_decision_and_timeline(
    routed, plant_officer, food_officer, standards_officer, django_capture_on_commit_callbacks
):
    def decide(officer, agency, outcome, reason):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(officer).post(
                f"/api/v1/reviews/{review_of(routed, agency).pk}/decision",
                {"outcome": outcome, "reason": reason},
                format="json",
            )
        assert response.status_code == 200, response.json()

    decide(food_officer, "food-safety", "info_requested", "Cold-chain log for the tomatoes?")
    decide(plant_officer, "plant-health", "approved", "")
    decide(standards_officer, "standards", "rejected", "No CE marking on the shaver parts")
    question = InformationRequest.objects.get(review=review_of(routed, "food-safety"))
    answered = client_for(routed.lodged_by).post(
        f"/api/v1/information-requests/{question.pk}/answer", {"answer": "Log attached"}, format="multipart"
    )
    assert answered.status_code == 200, answered.json()
    decide(food_officer, "food-safety", "approved", "")

    body = client_for(plant_officer).get(f"/api/v1/declarations/{routed.mrn}").json()
    assert body["status"] == "refused"
    assert [r["agency"] for r in body["release_decision"]["reasons"]] == ["plant-health"]
    text = str(body["timeline"])
    assert "CE marking" not in text
    assert "Cold-chain" not in text
    assert "standards" not in text
    assert "food-safety" not in text
    assert "food_officer" not in text  # nor who acted for another agency
    assert "standards_officer" not in text
    routing = next(e for e in body["timeline"] if e["action"] == "declarations.declaration.routed")
    assert routing["data"]["agencies"] == ["plant-health"]
    release_note = client_for(plant_officer).get(f"/api/v1/declarations/{routed.mrn}/release-note")
    assert release_note.status_code == 404
    from tests.two_factor import PortalClient

    browser = PortalClient()
    browser.force_login(plant_officer)
    page = browser.get(f"/declarations/{routed.mrn}/").content.decode()
    assert "food_officer" not in page
    assert "standards_officer" not in page
    listing = browser.get("/declarations/")
    assert [d.items_count for d in listing.context["page"].object_list] == [1]  # its item only

    # The same declaration, read by the trader, names every agency.
    trader_view = client_for(routed.lodged_by).get(f"/api/v1/declarations/{routed.mrn}").json()
    assert {r["agency"] for r in trader_view["release_decision"]["reasons"]} == {
        "plant-health",
        "food-safety",
        "standards",
    }


def test_claim_release_and_answer_honour_the_idempotency_key(routed, plant_officer, importer):
    plant, food = review_of(routed, "plant-health"), review_of(routed, "food-safety")
    officer = client_for(plant_officer)
    claimed = officer.post(f"/api/v1/reviews/{plant.pk}/claim", headers={"Idempotency-Key": "claim-1"})
    assert claimed.status_code == 200
    released = officer.post(f"/api/v1/reviews/{plant.pk}/release", headers={"Idempotency-Key": "release-1"})
    assert released.status_code == 200
    replayed = officer.post(f"/api/v1/reviews/{plant.pk}/claim", headers={"Idempotency-Key": "claim-1"})
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == claimed.json()
    assert review_of(routed, "plant-health").status == ReviewStatus.PENDING  # the replay changed nothing
    # The same key for another review is the client's mistake, not a replay.
    other = officer.post(f"/api/v1/reviews/{food.pk}/claim", headers={"Idempotency-Key": "claim-1"})
    assert other.status_code == 422

    officer.post(
        f"/api/v1/reviews/{plant.pk}/decision",
        {"outcome": "info_requested", "reason": "Which nursery?"},
        format="json",
    )
    question = InformationRequest.objects.get(review=plant)
    url = f"/api/v1/information-requests/{question.pk}/answer"
    trader = client_for(importer)
    first = trader.post(
        url, {"answer": "Rosa Ltd"}, format="multipart", headers={"Idempotency-Key": "answer-1"}
    )
    assert first.status_code == 200, first.json()
    again = trader.post(
        url, {"answer": "Rosa Ltd"}, format="multipart", headers={"Idempotency-Key": "answer-1"}
    )
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    changed = trader.post(
        url, {"answer": "Other"}, format="multipart", headers={"Idempotency-Key": "answer-1"}
    )
    assert changed.status_code == 422


@pytest.mark.parametrize("body", [[1], "an answer", 3])
def test_an_answer_that_is_not_an_object_is_a_400_and_an_outsider_still_gets_404(
    routed, plant_officer, importer, outsider, body
):
    review = review_of(routed, "plant-health")
    client_for(plant_officer).post(
        f"/api/v1/reviews/{review.pk}/decision", {"outcome": "info_requested", "reason": "Q?"}, format="json"
    )
    url = f"/api/v1/information-requests/{InformationRequest.objects.get(review=review).pk}/answer"
    assert client_for(outsider).post(url, body, format="json").status_code == 404
    response = client_for(importer).post(url, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_body"
