"""Amending, cancelling and resubmitting a routed declaration: versions, re-planned routing, requests.

The declaration is the mixed one of ``tests.agencies.fixtures``: roses (plant health), tomatoes
(food safety), shaver parts (standards). Only agencies whose goods changed are asked again.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from agencies.models import AgencyReview, ReviewStatus
from agencies.services import review_decide
from clearance.models import ReleaseDecision
from clearance.services import release_override
from declarations.models import (
    Declaration,
    DeclarationResponse,
    DeclarationVersion,
    PostReleaseRequest,
    RequestStatus,
    Status,
)
from declarations.versions import label_for
from declarations.wco.response import response_schema_errors
from singlewindow.models import AuditEvent
from tests.agencies.fixtures import TEA, client_for, item, mixed_payload, review_of

pytestmark = pytest.mark.django_db


def amend(user: Any, declaration: Declaration, payload: dict[str, Any], capture: Any, **extra: Any) -> Any:
    with capture(execute=True):
        return client_for(user).post(
            f"/api/v1/declarations/{declaration.mrn}/amendments",
            {"declaration": payload, "reason": "typo", **extra},
            format="json",
        )


def cancel(user: Any, declaration: Declaration, capture: Any, reason: str = "Duplicate") -> Any:
    with capture(execute=True):
        return client_for(user).post(
            f"/api/v1/declarations/{declaration.mrn}/cancellation", {"reason": reason}, format="json"
        )


def dms_since(declaration: Declaration, after: int = 0) -> list[tuple[str, str, int]]:
    """The WCO DMS responses written about the declaration after response ``after``, each schema-valid."""
    rows = DeclarationResponse.objects.filter(declaration=declaration, pk__gt=after).order_by("pk")
    for row in rows:
        assert response_schema_errors(row.body.encode()) == [], row.body
    return [(row.kind, row.function_code, row.version) for row in rows]


def last_dms(declaration: Declaration) -> int:
    row = DeclarationResponse.objects.filter(declaration=declaration).order_by("-pk").first()
    return row.pk if row else 0


def decide(officer: Any, review: AgencyReview, outcome: str, capture: Any) -> None:
    with capture(execute=True):
        review_decide(review=review, officer=officer, outcome=outcome, reason="checked")


def test_amending_one_item_asks_only_its_agency_again(
    routed, importer, plant_officer, food_officer, standards_officer, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    decide(plant_officer, review_of(routed, "plant-health"), "approved", capture)
    decide(food_officer, review_of(routed, "food-safety"), "approved", capture)
    payload = mixed_payload()
    payload["items"][1]["net_mass"] = "90"  # the tomatoes

    response = amend(importer, routed, payload, capture)

    assert response.status_code == 201, response.json()
    assert response.json()["amendment"]["changes"] == [
        {
            "path": "items.2.net_mass",
            "label": label_for("items.2.net_mass"),
            "before": "100",
            "after": "90",
        }
    ]
    assert review_of(routed, "plant-health").status == ReviewStatus.APPROVED  # its goods did not change
    food = review_of(routed, "food-safety")
    assert food.status == ReviewStatus.PENDING and food.decided_at is None  # asked again
    assert review_of(routed, "standards").status == ReviewStatus.PENDING
    reopened = AuditEvent.objects.get(action="agencies.review.reopened", object_id=food.pk)
    assert reopened.data["from"] == ReviewStatus.APPROVED and reopened.data["version"] == 2
    routed.refresh_from_db()
    assert (routed.version, routed.status) == (2, Status.IN_REVIEW)


def test_an_agency_no_longer_concerned_has_its_review_withdrawn_and_a_new_one_is_asked(
    routed,
    importer,
    standards_officer,
    plant_officer,
    food_officer,
    customs,
    django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    payload = mixed_payload()
    payload["items"][2] = item(3, TEA)  # shaver parts (standards) become tea (nobody's: customs)

    response = amend(importer, routed, payload, capture)

    assert response.status_code == 201, response.json()
    standards = review_of(routed, "standards")
    assert standards.withdrawn_at is not None
    assert AuditEvent.objects.filter(
        action="agencies.review.withdrawn_by_amendment", object_id=standards.pk
    ).exists()
    customs_review = review_of(routed, "customs")
    assert [i.sequence for i in customs_review.items.all()] == [3]
    # Plant health and food safety decide; the withdrawn standards review does not hold the release.
    decide(plant_officer, review_of(routed, "plant-health"), "approved", capture)
    decide(food_officer, review_of(routed, "food-safety"), "approved", capture)
    assert Declaration.objects.get(pk=routed.pk).status == Status.IN_REVIEW  # customs still to decide


def test_a_header_change_goes_to_customs(routed, importer, customs, django_capture_on_commit_callbacks):
    payload = mixed_payload()
    payload["total_package_quantity"] = 81
    response = amend(importer, routed, payload, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()
    assert review_of(routed, "customs").status == ReviewStatus.PENDING
    assert {r.agency.code for r in routed.reviews.all() if r.status == ReviewStatus.PENDING} >= {"customs"}


def test_versions_are_kept_whole_and_never_overwritten(routed, importer, django_capture_on_commit_callbacks):
    payload = mixed_payload()
    payload["items"][0]["description"] = "Roses, red"
    assert amend(importer, routed, payload, django_capture_on_commit_callbacks).status_code == 201
    first, second = DeclarationVersion.objects.filter(declaration=routed).order_by("number")
    assert first.data["items"][0]["description"] == "goods 06031100"
    assert second.data["items"][0]["description"] == "Roses, red"
    assert (second.kind, second.created_by, second.reason) == ("amendment", importer, "typo")
    body = client_for(importer).get(f"/api/v1/declarations/{routed.mrn}/diff?from=1&to=2").json()
    assert body["changes"] == [
        {
            "path": "items.1.description",
            "label": label_for("items.1.description"),
            "before": "goods 06031100",
            "after": "Roses, red",
        }
    ]
    event = AuditEvent.objects.get(action="declarations.declaration.amended", object_id=routed.pk)
    assert event.actor == importer and event.data["changes"][0]["path"] == "items.1.description"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_the_database_refuses_to_change_or_delete_a_version(routed):
    version = DeclarationVersion.objects.get(declaration=routed, number=1)
    for statement in (
        lambda: DeclarationVersion.objects.filter(pk=version.pk).update(reason="rewritten"),
        lambda: DeclarationVersion.objects.filter(pk=version.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
            statement()


def test_an_unchanged_amendment_and_a_stale_version_are_refused(
    routed, importer, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    response = amend(importer, routed, mixed_payload(), capture)
    assert (response.status_code, response.json()["errors"][0]["code"]) == (400, "amendment_no_change")
    payload = mixed_payload()
    payload["items"][0]["gross_mass"] = "151"
    assert amend(importer, routed, payload, capture, version=1).status_code == 201
    payload["items"][0]["gross_mass"] = "152"
    stale = amend(importer, routed, payload, capture, version=1)
    assert (stale.status_code, stale.json()["errors"][0]["code"]) == (409, "version_conflict")
    assert DeclarationVersion.objects.filter(declaration=routed).count() == 2


def test_an_amendment_is_validated_again_and_nothing_is_stored_when_wrong(
    routed, importer, django_capture_on_commit_callbacks
):
    payload = mixed_payload()
    payload["items"][0]["commodity_code"] = "99999999"
    payload["parties"][1]["eori"] = "GB427168118378"  # another importer: whose declaration it is
    response = amend(importer, routed, payload, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    codes = {e["code"] for e in response.json()["errors"]}
    assert "amendment_owner_changed" in codes and any(c.startswith("hs") for c in codes)
    assert DeclarationVersion.objects.filter(declaration=routed).count() == 1
    routed.refresh_from_db()
    assert routed.version == 1


def test_another_traders_declaration_cannot_be_amended_or_cancelled(
    routed, exporter, plant_officer, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    for user in (exporter, plant_officer):
        payload = mixed_payload()
        payload["items"][0]["gross_mass"] = "151"
        assert amend(user, routed, payload, capture).status_code == 404
        assert cancel(user, routed, capture).status_code == 404
    routed.refresh_from_db()
    assert (routed.version, routed.status) == (1, Status.IN_REVIEW)


def test_cancel_before_release_withdraws_the_open_reviews(
    routed, importer, django_capture_on_commit_callbacks
):
    response = cancel(importer, routed, django_capture_on_commit_callbacks)
    assert response.status_code == 200, response.json()
    routed.refresh_from_db()
    assert routed.status == Status.CANCELLED
    assert all(r.withdrawn_at is not None for r in routed.reviews.all())
    event = AuditEvent.objects.get(action="declarations.declaration.cancelled", object_id=routed.pk)
    assert (event.actor, event.data["reason"], event.data["from"]) == (importer, "Duplicate", "in_review")
    # A cancelled declaration is amended or cancelled no more.
    payload = mixed_payload()
    payload["items"][0]["gross_mass"] = "151"
    again = amend(importer, routed, payload, django_capture_on_commit_callbacks)
    assert (again.status_code, again.json()["errors"][0]["code"]) == (409, "declaration_state")
    assert cancel(importer, routed, django_capture_on_commit_callbacks).status_code == 409


def test_a_cancellation_needs_a_reason(routed, importer, django_capture_on_commit_callbacks):
    response = cancel(importer, routed, django_capture_on_commit_callbacks, reason="   ")
    assert response.status_code == 400
    routed.refresh_from_db()
    assert routed.status == Status.IN_REVIEW


def _released(routed: Declaration, supervisor: Any) -> Declaration:
    release_override(declaration=routed, supervisor=supervisor, outcome="released", reason="checked")
    routed.refresh_from_db()
    assert routed.status == Status.RELEASED
    return routed


def test_after_release_an_amendment_waits_for_customs_who_grants_it(
    routed, importer, supervisor, customs_officer, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    released = _released(routed, supervisor)
    payload = mixed_payload()
    payload["items"][0]["net_mass"] = "101"
    before_request = last_dms(released)
    response = amend(importer, released, payload, capture)
    assert response.status_code == 202, response.json()
    assert dms_since(released, before_request) == [], "nothing is answered until customs decides"
    request_id = response.json()["request"]["id"]
    released.refresh_from_db()
    assert released.version == 1  # the amended version is not in force yet
    assert released.items.get(sequence=1).net_mass == 100
    assert DeclarationVersion.objects.get(declaration=released, number=2).kind == "post_release_amendment"

    with capture(execute=True):
        answer = client_for(customs_officer).post(
            f"/api/v1/requests/{request_id}/decision", {"outcome": "granted"}, format="json"
        )
    assert answer.status_code == 200, answer.json()
    released.refresh_from_db()
    assert (released.version, released.status) == (2, Status.RELEASED)
    assert released.items.get(sequence=1).net_mass == 101
    assert dms_since(released, before_request) == [("request_granted", "11", 2)]


def test_after_release_invalidation_refused_leaves_it_released_and_granted_invalidates(
    routed, importer, supervisor, customs_officer, plant_officer, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    released = _released(routed, supervisor)
    first = cancel(importer, released, capture)
    assert first.status_code == 202, first.json()
    request_id = first.json()["request"]["id"]
    # Only customs decides: another agency's officer and the trader get a 404.
    for user in (plant_officer, importer):
        denied = client_for(user).post(
            f"/api/v1/requests/{request_id}/decision", {"outcome": "granted"}, format="json"
        )
        assert denied.status_code == 404
    before_decision = last_dms(released)
    refused = client_for(customs_officer).post(
        f"/api/v1/requests/{request_id}/decision",
        {"outcome": "refused", "reason": "Goods left"},
        format="json",
    )
    assert refused.status_code == 200, refused.json()
    assert dms_since(released, before_decision) == [("request_denied", "11", 1)]
    denied_body = DeclarationResponse.objects.filter(declaration=released).order_by("-pk").first().body
    assert "Goods left" in denied_body, "the trader's software is told why"
    released.refresh_from_db()
    assert released.status == Status.RELEASED
    assert PostReleaseRequest.objects.get(pk=request_id).status == RequestStatus.REFUSED

    second = cancel(importer, released, capture, reason="Goods never left")
    before_grant = last_dms(released)
    with capture(execute=True):
        granted = client_for(customs_officer).post(
            f"/api/v1/requests/{second.json()['request']['id']}/decision",
            {"outcome": "granted"},
            format="json",
        )
    assert granted.status_code == 200, granted.json()
    released.refresh_from_db()
    assert released.status == Status.INVALIDATED
    assert dms_since(released, before_grant) == [("cancelled", "10", 1)], "an invalidation is a DMSINV"
    assert AuditEvent.objects.filter(
        action="declarations.declaration.invalidated", object_id=released.pk
    ).exists()


def test_a_refused_declaration_is_resubmitted_as_a_new_version(
    routed, importer, plant_officer, food_officer, standards_officer, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    decide(plant_officer, review_of(routed, "plant-health"), "rejected", capture)
    decide(food_officer, review_of(routed, "food-safety"), "approved", capture)
    decide(standards_officer, review_of(routed, "standards"), "approved", capture)
    routed.refresh_from_db()
    assert routed.status == Status.REFUSED
    payload = copy.deepcopy(mixed_payload())
    payload["items"][0]["documents"].append({"kind": "additional", "code": "N851", "reference": "PHYTO-1"})

    response = amend(importer, routed, payload, capture)

    assert response.status_code == 201, response.json()
    routed.refresh_from_db()
    assert (routed.status, routed.version) == (Status.IN_REVIEW, 2)
    assert DeclarationVersion.objects.get(declaration=routed, number=2).kind == "resubmission"
    assert review_of(routed, "plant-health").status == ReviewStatus.PENDING  # asked again
    assert review_of(routed, "food-safety").status == ReviewStatus.APPROVED  # stands
    assert AuditEvent.objects.filter(
        action="declarations.declaration.resubmitted", object_id=routed.pk
    ).exists()
    assert not ReleaseDecision.objects.filter(declaration=routed).exists()  # decided anew


def test_customs_decides_on_its_requests_page_and_nobody_else_sees_it(
    client, routed, importer, supervisor, customs_officer, plant_officer, django_capture_on_commit_callbacks
):
    released = _released(routed, supervisor)
    response = cancel(
        importer, released, django_capture_on_commit_callbacks, reason="Shipped under another MRN"
    )
    request_id = response.json()["request"]["id"]
    for user in (plant_officer, importer):
        client.force_login(user)
        assert client.get("/clearance/requests/").status_code == 404
        assert client.post(f"/clearance/requests/{request_id}/decide/").status_code == 404
    client.force_login(customs_officer)
    page = client.get("/clearance/requests/")
    assert page.status_code == 200
    assert "Shipped under another MRN" in page.content.decode()
    # Refusing needs a reason; the request stays open until then.
    answer = client.post(
        f"/clearance/requests/{request_id}/decide/", {f"request-{request_id}-outcome": "refused"}
    )
    assert answer.status_code == 302
    assert PostReleaseRequest.objects.get(pk=request_id).status == RequestStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/clearance/requests/{request_id}/decide/", {f"request-{request_id}-outcome": "granted"})
    released.refresh_from_db()
    assert released.status == Status.INVALIDATED


def test_amending_the_goods_an_agency_asked_about_puts_the_declaration_back_in_review(
    routed, importer, plant_officer, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        review_decide(
            review=review_of(routed, "plant-health"),
            officer=plant_officer,
            outcome="info_requested",
            reason="Where is the phytosanitary certificate?",
        )
    routed.refresh_from_db()
    assert routed.status == Status.INFO_REQUESTED
    payload = mixed_payload()
    payload["items"][0]["documents"].append({"kind": "additional", "code": "N851", "reference": "PHYTO-2"})

    assert amend(importer, routed, payload, capture).status_code == 201

    routed.refresh_from_db()
    assert routed.status == Status.IN_REVIEW
    assert review_of(routed, "plant-health").status == ReviewStatus.PENDING
    assert AuditEvent.objects.filter(
        action="declarations.declaration.review_resumed", object_id=routed.pk
    ).exists()
