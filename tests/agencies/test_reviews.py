"""Review services: claim, release, each decision and its state changes, questions and answers."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agencies import services
from agencies.errors import AttachmentRefused, ReviewConflict
from agencies.models import Attachment, InformationRequest, ReviewStatus
from declarations.models import Status
from singlewindow.errors import DomainError, NotFound
from singlewindow.models import AuditEvent, OutboxMessage

from .fixtures import review_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"


def _events(review, action):
    return AuditEvent.objects.filter(object_type="agencies.agencyreview", object_id=review.pk, action=action)


def test_claim_makes_the_review_the_officers_and_is_audited(routed, plant_officer):
    review = services.review_claim(review=review_of(routed, "plant-health"), officer=plant_officer)
    assert review.status == ReviewStatus.IN_REVIEW
    assert review.claimed_by == plant_officer
    assert review.claimed_at is not None
    event = _events(review, "agencies.review.claimed").get()
    assert event.actor == plant_officer
    assert event.data["from"] == "pending"
    assert event.data["to"] == "in_review"


def test_second_claim_is_a_conflict_naming_the_holder(routed, plant_officer, plant_officer_2):
    review = review_of(routed, "plant-health")
    services.review_claim(review=review, officer=plant_officer)
    with pytest.raises(ReviewConflict) as error:
        services.review_claim(review=review, officer=plant_officer_2)
    assert error.value.code == "review_claimed"
    assert error.value.status == 409
    assert "plant_officer" in error.value.message
    assert review_of(routed, "plant-health").claimed_by == plant_officer


def test_claiming_ones_own_review_again_changes_nothing(routed, plant_officer):
    review = review_of(routed, "plant-health")
    services.review_claim(review=review, officer=plant_officer)
    services.review_claim(review=review, officer=plant_officer)
    assert _events(review, "agencies.review.claimed").count() == 1


def test_officer_of_another_agency_cannot_claim(routed, food_officer):
    with pytest.raises(NotFound):
        services.review_claim(review=review_of(routed, "plant-health"), officer=food_officer)


def test_release_claim_puts_the_review_back_in_the_queue(routed, plant_officer, plant_officer_2):
    review = review_of(routed, "plant-health")
    services.review_claim(review=review, officer=plant_officer)
    with pytest.raises(ReviewConflict):
        services.review_release_claim(review=review, officer=plant_officer_2)
    released = services.review_release_claim(review=review, officer=plant_officer)
    assert released.status == ReviewStatus.PENDING
    assert released.claimed_by is None
    assert services.review_claim(review=review, officer=plant_officer_2).claimed_by == plant_officer_2


def test_approve_records_who_when_and_schedules_consolidation(routed, plant_officer):
    review = review_of(routed, "plant-health")
    services.review_claim(review=review, officer=plant_officer)
    decided = services.review_decide(review=review, officer=plant_officer, outcome="approved", reason="ok")
    assert decided.status == ReviewStatus.APPROVED
    assert decided.decided_by == plant_officer
    assert decided.decided_at is not None
    assert decided.decision_reason == "ok"
    assert _events(review, "agencies.review.approved").get().actor == plant_officer
    message = OutboxMessage.objects.get(topic="agencies.review.decided", object_id=review.pk)
    assert message.payload == {"declaration_id": routed.pk, "outcome": "approved"}


def test_deciding_an_unclaimed_review_claims_it_in_the_same_update(routed, plant_officer):
    decided = services.review_decide(
        review=review_of(routed, "plant-health"), officer=plant_officer, outcome="approved"
    )
    assert decided.claimed_by == plant_officer
    assert decided.status == ReviewStatus.APPROVED


def test_reject_needs_a_reason(routed, plant_officer):
    review = review_of(routed, "plant-health")
    with pytest.raises(DomainError) as error:
        services.review_decide(review=review, officer=plant_officer, outcome="rejected", reason="  ")
    assert error.value.code == "reason_required"
    assert error.value.errors[0]["pointer"] == "reason"
    assert review_of(routed, "plant-health").status == ReviewStatus.PENDING
    rejected = services.review_decide(
        review=review, officer=plant_officer, outcome="rejected", reason="No phytosanitary certificate"
    )
    assert rejected.status == ReviewStatus.REJECTED
    assert rejected.decision_reason == "No phytosanitary certificate"


def test_unknown_outcome_is_refused(routed, plant_officer):
    with pytest.raises(DomainError) as error:
        services.review_decide(
            review=review_of(routed, "plant-health"), officer=plant_officer, outcome="maybe"
        )
    assert error.value.code == "invalid_outcome"


def test_review_held_by_another_officer_cannot_be_decided(routed, plant_officer, plant_officer_2):
    review = review_of(routed, "plant-health")
    services.review_claim(review=review, officer=plant_officer)
    with pytest.raises(ReviewConflict) as error:
        services.review_decide(review=review, officer=plant_officer_2, outcome="approved")
    assert error.value.code == "review_claimed"


def test_a_decided_review_cannot_be_decided_again(routed, plant_officer):
    review = review_of(routed, "plant-health")
    services.review_decide(review=review, officer=plant_officer, outcome="approved")
    with pytest.raises(ReviewConflict):
        services.review_decide(
            review=review, officer=plant_officer, outcome="rejected", reason="changed my mind"
        )
    assert review_of(routed, "plant-health").status == ReviewStatus.APPROVED


def test_inspection_required_waits_and_the_officer_decides_afterwards(routed, plant_officer):
    review = review_of(routed, "plant-health")
    waiting = services.review_decide(
        review=review, officer=plant_officer, outcome="inspection_required", reason="Check for pests"
    )
    assert waiting.status == ReviewStatus.INSPECTION_REQUIRED
    assert waiting.decided_at is None
    routed.refresh_from_db()
    assert routed.status == Status.IN_REVIEW
    with pytest.raises(ReviewConflict):
        services.review_decide(review=review, officer=plant_officer, outcome="inspection_required")
    assert (
        services.review_decide(review=review, officer=plant_officer, outcome="approved").status == "approved"
    )


def test_information_request_asks_the_trader_and_waits(routed, plant_officer):
    review = review_of(routed, "plant-health")
    with pytest.raises(DomainError) as error:
        services.review_decide(review=review, officer=plant_officer, outcome="info_requested")
    assert error.value.code == "reason_required"
    asked = services.review_decide(
        review=review,
        officer=plant_officer,
        outcome="info_requested",
        reason="Send the phytosanitary certificate",
    )
    assert asked.status == ReviewStatus.INFO_REQUESTED
    request = InformationRequest.objects.get(review=review)
    assert request.question == "Send the phytosanitary certificate"
    assert request.asked_by == plant_officer
    routed.refresh_from_db()
    assert routed.status == Status.INFO_REQUESTED
    event = AuditEvent.objects.get(action="declarations.declaration.info_requested", object_id=routed.pk)
    assert event.data["reason"] == "Send the phytosanitary certificate"


def test_trader_answer_returns_the_review_to_the_officer(routed, plant_officer, importer):
    review = review_of(routed, "plant-health")
    services.review_decide(
        review=review, officer=plant_officer, outcome="info_requested", reason="Certificate?"
    )
    request = InformationRequest.objects.get(review=review)
    upload = SimpleUploadedFile("phyto.pdf", PDF, content_type="application/pdf")
    answered = services.information_answer(
        information_request=request, user=importer, answer="Attached.", attachments=[upload]
    )
    assert answered.answer == "Attached."
    assert answered.answered_by == importer
    review = review_of(routed, "plant-health")
    assert review.status == ReviewStatus.IN_REVIEW
    assert review.claimed_by == plant_officer  # back in the asking officer's "mine"
    routed.refresh_from_db()
    assert routed.status == Status.IN_REVIEW
    (attachment,) = Attachment.objects.filter(request=request)
    assert attachment.original_name == "phyto.pdf"
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF
    assert (
        services.review_decide(review=review, officer=plant_officer, outcome="approved").status == "approved"
    )
    with pytest.raises(ReviewConflict):
        services.information_answer(information_request=request, user=importer, answer="again")


def test_declaration_waits_until_every_open_question_is_answered(
    routed, plant_officer, food_officer, importer
):
    plant, food = review_of(routed, "plant-health"), review_of(routed, "food-safety")
    services.review_decide(
        review=plant, officer=plant_officer, outcome="info_requested", reason="Certificate?"
    )
    services.review_decide(review=food, officer=food_officer, outcome="info_requested", reason="Lab report?")
    plant_q, food_q = (
        InformationRequest.objects.get(review=plant),
        InformationRequest.objects.get(review=food),
    )
    services.information_answer(information_request=plant_q, user=importer, answer="Here")
    routed.refresh_from_db()
    assert routed.status == Status.INFO_REQUESTED
    services.information_answer(information_request=food_q, user=importer, answer="Here too")
    routed.refresh_from_db()
    assert routed.status == Status.IN_REVIEW


@pytest.mark.parametrize(
    ("name", "content", "content_type", "code"),
    [
        ("script.exe", b"MZ...", "application/octet-stream", "attachment_type"),
        ("fake.pdf", b"not a pdf", "application/pdf", "attachment_type"),
        ("photo.png", b"\xff\xd8\xff jpeg bytes", "image/png", "attachment_type"),
    ],
)
def test_attachments_of_the_wrong_kind_are_refused_and_nothing_changes(
    routed, plant_officer, importer, name, content, content_type, code
):
    review = review_of(routed, "plant-health")
    services.review_decide(
        review=review, officer=plant_officer, outcome="info_requested", reason="Certificate?"
    )
    request = InformationRequest.objects.get(review=review)
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    with pytest.raises(AttachmentRefused) as error:
        services.information_answer(
            information_request=request, user=importer, answer="x", attachments=[upload]
        )
    assert error.value.code == code
    request.refresh_from_db()
    assert request.answered_at is None


def test_attachment_over_the_size_cap_is_refused(routed, plant_officer, importer, settings):
    settings.SW_MAX_ATTACHMENT_BYTES = 10
    review = review_of(routed, "plant-health")
    services.review_decide(
        review=review, officer=plant_officer, outcome="info_requested", reason="Certificate?"
    )
    request = InformationRequest.objects.get(review=review)
    upload = SimpleUploadedFile("notes.txt", b"x" * 11, content_type="text/plain")
    with pytest.raises(AttachmentRefused) as error:
        services.information_answer(
            information_request=request, user=importer, answer="x", attachments=[upload]
        )
    assert error.value.code == "attachment_too_large"


def test_only_the_trader_side_answers(routed, plant_officer, outsider):
    review = review_of(routed, "plant-health")
    services.review_decide(
        review=review, officer=plant_officer, outcome="info_requested", reason="Certificate?"
    )
    request = InformationRequest.objects.get(review=review)
    for user in (plant_officer, outsider):
        with pytest.raises(NotFound):
            services.information_answer(information_request=request, user=user, answer="x")


def test_reviews_of_a_closed_declaration_cannot_be_decided(routed, plant_officer, supervisor):
    from clearance.services import release_override

    release_override(
        declaration=routed, supervisor=supervisor, outcome="released", reason="Urgent medical supplies"
    )
    with pytest.raises(ReviewConflict) as error:
        services.review_decide(
            review=review_of(routed, "plant-health"), officer=plant_officer, outcome="approved"
        )
    assert error.value.code == "declaration_closed"


def test_a_review_withdrawn_by_an_override_cannot_be_claimed(routed, plant_officer, supervisor):
    from clearance.services import release_override

    release_override(declaration=routed, supervisor=supervisor, outcome="refused", reason="Smuggling alert")
    with pytest.raises(ReviewConflict) as error:
        services.review_claim(review=review_of(routed, "plant-health"), officer=plant_officer)
    assert "supervisor" in error.value.message
    review = review_of(routed, "plant-health")
    assert review.status == ReviewStatus.PENDING
    assert review.claimed_by is None


def test_a_question_on_a_declaration_a_supervisor_closed_cannot_be_answered(
    routed, plant_officer, importer, supervisor
):
    from clearance.services import release_override

    review = review_of(routed, "plant-health")
    services.review_decide(review=review, officer=plant_officer, outcome="info_requested", reason="Permit?")
    release_override(declaration=routed, supervisor=supervisor, outcome="released", reason="Known shipment")
    request = InformationRequest.objects.get(review=review)
    with pytest.raises(ReviewConflict) as error:
        services.information_answer(information_request=request, user=importer, answer="Here it is")
    assert error.value.code == "declaration_closed"
    request.refresh_from_db()
    assert request.answered_at is None
    assert review_of(routed, "plant-health").status == ReviewStatus.INFO_REQUESTED
    routed.refresh_from_db()
    assert routed.status == Status.RELEASED
