"""DMS responses along the clearance flow: an agency's question (06), an inspection (05), release
(09 imports, 08 exports), refusal (03), the supervisor's override; each valid against the DMS
notification schemas."""

from __future__ import annotations

import pytest

from agencies import services as agency_services
from clearance import services as clearance_services
from declarations.models import ResponseKind, Status
from declarations.responses import response_record
from tests.agencies.fixtures import review_of
from tests.declarations.test_responses import RES, function_code, parsed, responses_of

pytestmark = pytest.mark.django_db


def test_agency_question_inspection_and_release_are_each_answered(
    routed, plant_officer, food_officer, standards_officer, importer, django_capture_on_commit_callbacks
):
    plant = review_of(routed, "plant-health")
    agency_services.review_decide(
        review=plant,
        officer=plant_officer,
        outcome="info_requested",
        reason="Send the phytosanitary certificate.",
    )
    food = review_of(routed, "food-safety")
    agency_services.review_decide(review=food, officer=food_officer, outcome="inspection_required")
    kinds = [r.kind for r in responses_of(routed)]
    assert kinds == [ResponseKind.ACCEPTED, ResponseKind.DOCUMENTS_REQUIRED, ResponseKind.CONTROL]
    question = parsed(responses_of(routed)[1].body)
    assert function_code(question) == "06"
    assert (
        question.findtext("r:Response/r:AdditionalInformation/r:StatementDescription", namespaces=RES)
        == "Send the phytosanitary certificate."
    )
    assert function_code(parsed(responses_of(routed)[2].body)) == "05"

    with django_capture_on_commit_callbacks(execute=True):
        agency_services.information_answer(
            information_request=plant.info_requests.get(), user=importer, answer="Attached."
        )
    with django_capture_on_commit_callbacks(execute=True):
        agency_services.review_decide(
            review=review_of(routed, "plant-health"), officer=plant_officer, outcome="approved"
        )
        agency_services.review_decide(
            review=review_of(routed, "food-safety"), officer=food_officer, outcome="approved"
        )
        agency_services.review_decide(
            review=review_of(routed, "standards"), officer=standards_officer, outcome="approved"
        )
    routed.refresh_from_db()
    assert routed.status == Status.RELEASED
    last = responses_of(routed)[-1]
    assert last.kind == ResponseKind.CLEARED
    assert function_code(parsed(last.body)) == "09"


def test_a_refusal_is_a_03_naming_the_agency_and_its_reason(
    routed, plant_officer, food_officer, standards_officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agency_services.review_decide(
            review=review_of(routed, "plant-health"),
            officer=plant_officer,
            outcome="rejected",
            reason="No certificate.",
        )
        agency_services.review_decide(
            review=review_of(routed, "food-safety"), officer=food_officer, outcome="approved"
        )
        agency_services.review_decide(
            review=review_of(routed, "standards"), officer=standards_officer, outcome="approved"
        )
    routed.refresh_from_db()
    assert routed.status == Status.REFUSED
    last = responses_of(routed)[-1]
    assert last.kind == ResponseKind.REFUSED
    root = parsed(last.body)
    assert function_code(root) == "03"
    error = root.find("r:Response/r:Error", namespaces=RES)
    assert error.findtext("r:ValidationCode", namespaces=RES) == "CDS40047"
    assert "No certificate." in error.findtext("r:Description", namespaces=RES)
    assert root.find("r:Response/r:Declaration/r:RejectionDateTime", namespaces=RES) is not None


def test_a_supervisors_override_is_answered_too(routed, supervisor):
    clearance_services.release_override(
        declaration=routed, supervisor=supervisor, outcome="released", reason="Cleared after a phone call."
    )
    assert function_code(parsed(responses_of(routed)[-1].body)) == "09"


def test_every_response_kind_of_a_transition_is_schema_valid(routed):
    """Cancellation and requests (the amendment flow calls them) are valid messages too."""
    for kind in (ResponseKind.CANCELLED, ResponseKind.REQUEST_GRANTED, ResponseKind.REQUEST_DENIED):
        stored = response_record(declaration=routed, kind=kind, reasons=["Duplicate declaration."])
        root = parsed(stored.body)
        assert function_code(root) == {"cancelled": "10"}.get(kind, "11")
    denied = parsed(responses_of(routed)[-1].body)
    assert denied.findtext("r:Response/r:Status/r:NameCode", namespaces=RES) == "41"


def test_hostile_text_in_a_reason_still_gives_a_valid_message(routed):
    stored = response_record(
        declaration=routed, kind=ResponseKind.DOCUMENTS_REQUIRED, reasons=["\x01<b>&" + "x" * 5000 + "\ufffe"]
    )
    root = parsed(stored.body)
    text = root.findtext("r:Response/r:AdditionalInformation/r:StatementDescription", namespaces=RES)
    assert text.startswith("<b>&") and len(text) == 512
