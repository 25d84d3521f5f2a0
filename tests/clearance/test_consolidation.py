"""Consolidation: one release decision once every review is in; overrides; notifications and mail."""

from __future__ import annotations

import pytest

from agencies import services as reviews
from agencies.models import ReviewStatus
from clearance import services
from clearance.models import Notification, ReleaseDecision
from declarations.models import Status
from singlewindow.errors import DomainError, NotFound
from singlewindow.models import AuditEvent
from tests.agencies.fixtures import review_of

pytestmark = pytest.mark.django_db


def decide(declaration, agency_code, officer, outcome, reason="", capture=None):
    review = review_of(declaration, agency_code)
    if capture is None:
        return reviews.review_decide(review=review, officer=officer, outcome=outcome, reason=reason)
    with capture(execute=True):
        return reviews.review_decide(review=review, officer=officer, outcome=outcome, reason=reason)


@pytest.fixture
def officers(plant_officer, food_officer, standards_officer):
    return {"plant-health": plant_officer, "food-safety": food_officer, "standards": standards_officer}


def test_nothing_is_decided_while_a_review_is_open(routed, officers, django_capture_on_commit_callbacks):
    decide(
        routed,
        "plant-health",
        officers["plant-health"],
        "approved",
        capture=django_capture_on_commit_callbacks,
    )
    decide(
        routed, "food-safety", officers["food-safety"], "approved", capture=django_capture_on_commit_callbacks
    )
    routed.refresh_from_db()
    assert routed.status == Status.IN_REVIEW
    assert not ReleaseDecision.objects.filter(declaration=routed).exists()


def test_all_approved_is_released_automatically_and_the_trader_told(
    routed, officers, importer, mailoutbox, django_capture_on_commit_callbacks
):
    for code, officer in officers.items():
        decide(routed, code, officer, "approved", capture=django_capture_on_commit_callbacks)
    routed.refresh_from_db()
    assert routed.status == Status.RELEASED
    decision = ReleaseDecision.objects.get(declaration=routed)
    assert decision.outcome == "released"
    assert decision.automatic
    assert not decision.override
    assert {r["agency"]: r["status"] for r in decision.reasons} == {
        "plant-health": "approved",
        "food-safety": "approved",
        "standards": "approved",
    }
    (notification,) = Notification.objects.filter(declaration=routed)
    assert notification.user == importer
    assert notification.kind == "released"
    assert routed.mrn in notification.message
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["importer@example.test"]
    assert routed.mrn in mailoutbox[0].subject
    assert AuditEvent.objects.filter(action="declarations.declaration.released", object_id=routed.pk).exists()


def test_a_rejection_refuses_with_each_agencys_reasons(routed, officers, django_capture_on_commit_callbacks):
    decide(
        routed,
        "plant-health",
        officers["plant-health"],
        "rejected",
        "Pests found",
        django_capture_on_commit_callbacks,
    )
    decide(
        routed, "food-safety", officers["food-safety"], "approved", capture=django_capture_on_commit_callbacks
    )
    decide(
        routed,
        "standards",
        officers["standards"],
        "rejected",
        "No CE marking",
        django_capture_on_commit_callbacks,
    )
    routed.refresh_from_db()
    assert routed.status == Status.REFUSED
    decision = ReleaseDecision.objects.get(declaration=routed)
    assert decision.outcome == "refused"
    reasons = {r["agency"]: (r["status"], r["reason"]) for r in decision.reasons}
    assert reasons["plant-health"] == ("rejected", "Pests found")
    assert reasons["standards"] == ("rejected", "No CE marking")
    message = Notification.objects.get(declaration=routed).message
    assert "Pests found" in message
    assert "No CE marking" in message


def test_consolidating_again_changes_nothing(routed, officers, django_capture_on_commit_callbacks):
    for code, officer in officers.items():
        decide(routed, code, officer, "approved", capture=django_capture_on_commit_callbacks)
    decision = ReleaseDecision.objects.get(declaration=routed)
    assert services.declaration_consolidate(declaration_id=routed.pk) is None
    assert ReleaseDecision.objects.get(declaration=routed).decided_at == decision.decided_at
    assert Notification.objects.filter(declaration=routed).count() == 1


def test_inspection_required_waits_for_a_human(
    routed, officers, django_capture_on_commit_callbacks, supervisor
):
    from clearance.selectors import declarations_needing_human

    decide(
        routed,
        "plant-health",
        officers["plant-health"],
        "inspection_required",
        "Pests?",
        django_capture_on_commit_callbacks,
    )
    decide(
        routed, "food-safety", officers["food-safety"], "approved", capture=django_capture_on_commit_callbacks
    )
    decide(routed, "standards", officers["standards"], "approved", capture=django_capture_on_commit_callbacks)
    routed.refresh_from_db()
    assert routed.status == Status.IN_REVIEW
    assert list(declarations_needing_human(supervisor)) == [routed]


def test_supervisor_override_releases_with_a_reason_on_the_timeline(
    routed, officers, supervisor, importer, mailoutbox, django_capture_on_commit_callbacks
):
    decide(
        routed,
        "plant-health",
        officers["plant-health"],
        "inspection_required",
        "Pests?",
        django_capture_on_commit_callbacks,
    )
    with django_capture_on_commit_callbacks(execute=True):
        decision = services.release_override(
            declaration=routed,
            supervisor=supervisor,
            outcome="released",
            reason="Joint inspection found nothing",
        )
    routed.refresh_from_db()
    assert routed.status == Status.RELEASED
    assert decision.override
    assert not decision.automatic
    assert decision.decided_by == supervisor
    assert decision.override_reason == "Joint inspection found nothing"
    event = AuditEvent.objects.get(action="clearance.release.overridden", object_id=routed.pk)
    assert event.actor == supervisor
    assert event.data["reason"] == "Joint inspection found nothing"
    assert event.data["to"] == "released"
    assert Notification.objects.filter(declaration=routed, user=importer, kind="released").exists()
    assert len(mailoutbox) == 1


def test_override_needs_a_reason_and_a_supervisor(routed, plant_officer, importer):
    from tests.factories import UserFactory

    supervisor = UserFactory(username="supervisor", role="supervisor")
    with pytest.raises(DomainError) as error:
        services.release_override(declaration=routed, supervisor=supervisor, outcome="released", reason=" ")
    assert error.value.code == "reason_required"
    for user in (plant_officer, importer):
        with pytest.raises(NotFound):
            services.release_override(
                declaration=routed, supervisor=user, outcome="released", reason="because"
            )
    routed.refresh_from_db()
    assert routed.status == Status.IN_REVIEW


def test_a_refusal_can_be_overridden_to_a_release_but_not_the_reverse(
    routed, officers, supervisor, django_capture_on_commit_callbacks
):
    decide(
        routed,
        "plant-health",
        officers["plant-health"],
        "rejected",
        "Pests found",
        django_capture_on_commit_callbacks,
    )
    decide(
        routed, "food-safety", officers["food-safety"], "approved", capture=django_capture_on_commit_callbacks
    )
    decide(routed, "standards", officers["standards"], "approved", capture=django_capture_on_commit_callbacks)
    routed.refresh_from_db()
    assert routed.status == Status.REFUSED
    decision = services.release_override(
        declaration=routed, supervisor=supervisor, outcome="released", reason="Treated and re-inspected"
    )
    assert decision.outcome == "released"
    assert ReleaseDecision.objects.filter(declaration=routed).count() == 1
    routed.refresh_from_db()
    assert routed.status == Status.RELEASED
    with pytest.raises(DomainError) as error:
        services.release_override(declaration=routed, supervisor=supervisor, outcome="refused", reason="Oops")
    assert error.value.code == "declaration_state"


def test_information_request_notifies_the_trader_once(
    routed, plant_officer, importer, mailoutbox, django_capture_on_commit_callbacks
):
    from agencies.models import InformationRequest

    decide(
        routed,
        "plant-health",
        plant_officer,
        "info_requested",
        "Send the certificate",
        django_capture_on_commit_callbacks,
    )
    (notification,) = Notification.objects.filter(declaration=routed, kind="info_requested")
    assert notification.user == importer
    assert "Send the certificate" in notification.message
    assert len(mailoutbox) == 1
    request = InformationRequest.objects.get(review__declaration=routed)
    assert services.information_request_notify(request_id=request.pk) == []
    assert Notification.objects.filter(declaration=routed, kind="info_requested").count() == 1


def test_members_of_the_trader_account_and_the_broker_who_lodged_are_told(
    broker, importer, agencies, django_capture_on_commit_callbacks
):
    from tests.agencies.fixtures import lodge, mixed_payload

    declaration = lodge(broker, mixed_payload(lrn="CLR-BROKER"), django_capture_on_commit_callbacks)
    for review in declaration.reviews.select_related("agency"):
        with django_capture_on_commit_callbacks(execute=True):
            reviews.review_decide(review=review, officer=_officer_for(review.agency), outcome="approved")
    told = Notification.objects.filter(declaration=declaration).values_list("user__username", flat=True)
    assert sorted(told) == ["broker", "importer"]


def _officer_for(agency):
    from agencies.access import agency_add_officer
    from tests.factories import UserFactory

    user = UserFactory(username=f"officer-{agency.code}", role="officer")
    agency_add_officer(agency=agency, user=user)
    return user


def test_review_status_values_cover_the_design():
    assert {s.value for s in ReviewStatus} == {
        "pending",
        "in_review",
        "approved",
        "rejected",
        "info_requested",
        "inspection_required",
        "auto_approved",
    }


def test_an_override_audits_each_review_it_withdraws_from_the_queues(
    routed, officers, supervisor, django_capture_on_commit_callbacks
):
    decide(
        routed,
        "plant-health",
        officers["plant-health"],
        "approved",
        capture=django_capture_on_commit_callbacks,
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.release_override(
            declaration=routed, supervisor=supervisor, outcome="refused", reason="Sanctioned consignee"
        )

    withdrawn = AuditEvent.objects.filter(action="agencies.review.withdrawn").order_by("seq")
    open_reviews = {review_of(routed, code).pk for code in ("food-safety", "standards")}
    assert {e.object_id for e in withdrawn} == open_reviews  # not plant health's decided review
    assert {(e.actor, e.data["reason"], e.data["status"], e.data["declaration"]) for e in withdrawn} == {
        (supervisor, "Sanctioned consignee", ReviewStatus.PENDING, routed.pk)
    }
    assert sorted(e.data["agency"] for e in withdrawn) == ["food-safety", "standards"]
