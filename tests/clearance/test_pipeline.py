"""The pipeline after acceptance: outbox → routing → reviews; idempotent under repeats and crashes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from agencies.models import Agency, AgencyReview, ReviewStatus
from clearance import services
from clearance.models import ReleaseDecision
from declarations.models import Declaration, Status
from singlewindow.models import AuditEvent, OutboxMessage
from tests.agencies.fixtures import (
    CATTLE,
    REVOLVERS,
    SHAVER_PARTS,
    TEA,
    item,
    lodge,
    mixed_payload,
    payload_with,
    review_of,
)

pytestmark = pytest.mark.django_db


def test_acceptance_is_routed_after_commit_through_the_outbox(
    importer, agencies, django_capture_on_commit_callbacks
):
    declaration = lodge(importer, mixed_payload(), django_capture_on_commit_callbacks)
    declaration.refresh_from_db()
    assert declaration.status == Status.IN_REVIEW
    message = OutboxMessage.objects.get(topic="declarations.declaration.accepted", object_id=declaration.pk)
    assert message.published_at is not None
    assert AuditEvent.objects.filter(
        action="declarations.declaration.routed", object_id=declaration.pk
    ).exists()


def test_one_review_per_matching_agency_with_only_its_items(routed):
    reviews = {r.agency.code: r for r in routed.reviews.select_related("agency").prefetch_related("items")}
    assert set(reviews) == {"plant-health", "food-safety", "standards"}
    assert {code: [i.sequence for i in r.items.all()] for code, r in reviews.items()} == {
        "plant-health": [1],
        "food-safety": [2],
        "standards": [3],
    }
    assert all(r.status == ReviewStatus.PENDING for r in reviews.values())
    plant = reviews["plant-health"]
    assert (plant.due_at - plant.created_at).total_seconds() == 24 * 3600
    assert plant.missing_documents == [{"item": 1, "code": "N851", "rule": plant.reasons[0]["rule"]}]


def test_routing_again_changes_nothing(routed):
    reviews_before = list(routed.reviews.values_list("pk", "agency_id", "status"))
    events_before = AuditEvent.objects.count()
    assert services.declaration_route(declaration_id=routed.pk) is None
    assert list(routed.reviews.values_list("pk", "agency_id", "status")) == reviews_before
    assert AuditEvent.objects.count() == events_before


def test_a_crash_in_the_middle_of_routing_leaves_nothing_and_a_rerun_completes(
    importer, agencies, monkeypatch, django_capture_on_commit_callbacks
):
    def crash(**kwargs):
        raise RuntimeError("worker lost mid-routing")

    monkeypatch.setattr(services, "declaration_transition", crash)
    declaration = lodge(importer, mixed_payload(lrn="CLR-CRASH"), django_capture_on_commit_callbacks)
    declaration.refresh_from_db()
    # the relay logged the failure; the transaction rolled back whole
    assert declaration.status == Status.ACCEPTED
    assert not AgencyReview.objects.filter(declaration=declaration).exists()
    monkeypatch.undo()

    result = services.declaration_route(declaration_id=declaration.pk)
    assert result is not None
    assert declaration.reviews.count() == 3
    assert services.declaration_route(declaration_id=declaration.pk) is None
    assert declaration.reviews.count() == 3


def test_the_database_refuses_a_second_review_for_the_same_agency(routed):
    review = review_of(routed, "plant-health")
    with pytest.raises(IntegrityError), transaction.atomic():
        AgencyReview.objects.create(declaration=routed, agency=review.agency, due_at=review.due_at)


def test_unclaimed_goods_go_to_customs_alone(importer, agencies, django_capture_on_commit_callbacks):
    declaration = lodge(
        importer, payload_with(item(1, TEA), item(2, TEA), lrn="CLR-TEA"), django_capture_on_commit_callbacks
    )
    (review,) = declaration.reviews.select_related("agency")
    assert review.agency.code == "customs"
    assert sorted(i.sequence for i in review.items.all()) == [1, 2]
    assert (review.due_at - review.created_at).total_seconds() == 4 * 3600


def test_a_declared_licence_code_approves_nothing_the_officer_sees_the_documents(
    importer, agencies, django_capture_on_commit_callbacks
):
    """Live cattle plus pistols with a made-up N853: nobody approves it but a person."""
    from agencies.models import RoutingRule
    from tests.factories import AgencyFactory

    vet = AgencyFactory(code="vet", name="Veterinary Border Service", service_level_hours=12)
    RoutingRule.objects.create(agency=vet, name="Live animals", hs_prefix="01", required_documents=["N853"])
    licence = [{"code": "N853", "reference": "NO-SUCH-LICENCE-0000", "status": "AE"}]
    declaration = lodge(
        importer,
        payload_with(
            item(1, CATTLE, documents=licence), item(2, REVOLVERS, documents=licence), lrn="CLR-N853"
        ),
        django_capture_on_commit_callbacks,
    )
    declaration.refresh_from_db()
    assert declaration.status == Status.IN_REVIEW
    assert not ReleaseDecision.objects.filter(declaration=declaration).exists()
    reviews = {r.agency.code: r for r in declaration.reviews.select_related("agency")}
    assert {code: r.status for code, r in reviews.items()} == {
        "vet": ReviewStatus.PENDING,
        "customs": ReviewStatus.PENDING,
    }
    assert [i.sequence for i in reviews["customs"].items.all()] == [2]
    assert reviews["vet"].reasons[0]["required_documents"] == ["N853"]
    assert reviews["vet"].missing_documents == []


def test_the_unclaimed_item_of_a_mixed_declaration_is_in_customs_queue(
    importer, agencies, customs_officer, standards_officer, django_capture_on_commit_callbacks
):
    """Shaver parts (standards) plus revolvers (no rule): customs sees the revolvers, not the parts,
    and the standards approval alone does not release the declaration."""
    from agencies.services import review_decide
    from tests.agencies.fixtures import client_for

    declaration = lodge(
        importer,
        payload_with(item(1, SHAVER_PARTS), item(2, REVOLVERS), lrn="CLR-SHAVE-GUN"),
        django_capture_on_commit_callbacks,
    )
    queue = client_for(customs_officer).get("/api/v1/reviews").json()["results"]
    (mine,) = [r for r in queue if r["mrn"] == declaration.mrn]
    assert [(i["sequence"], i["commodity_code"]) for i in mine["items"]] == [(2, REVOLVERS)]

    with django_capture_on_commit_callbacks(execute=True):
        review_decide(
            review=review_of(declaration, "standards"),
            officer=standards_officer,
            outcome="approved",
            reason="Conforms.",
        )
    declaration.refresh_from_db()
    assert declaration.status == Status.IN_REVIEW
    assert not ReleaseDecision.objects.filter(declaration=declaration).exists()


def test_agency_deciding_automatically_approves_every_review(
    importer, agencies, django_capture_on_commit_callbacks
):
    Agency.objects.update(auto_decide=True)
    declaration = lodge(importer, mixed_payload(lrn="CLR-BENCH"), django_capture_on_commit_callbacks)
    declaration.refresh_from_db()
    assert set(declaration.reviews.values_list("status", flat=True)) == {ReviewStatus.AUTO_APPROVED}
    assert declaration.status == Status.RELEASED


def test_routing_without_a_customs_agency_fails_loudly_and_stays_accepted(
    importer, django_capture_on_commit_callbacks
):
    declaration = lodge(
        importer, payload_with(item(1, TEA), lrn="CLR-NOCUSTOMS"), django_capture_on_commit_callbacks
    )
    declaration.refresh_from_db()
    assert declaration.status == Status.ACCEPTED
    with pytest.raises(RuntimeError, match="customs"):
        services.declaration_route(declaration_id=declaration.pk)


def test_sweep_redrives_declarations_left_accepted(
    importer, agencies, django_capture_on_commit_callbacks, monkeypatch, settings
):
    """The broker lost the routing task: the periodic sweep routes the declaration later."""
    from datetime import timedelta

    from clearance import tasks
    from singlewindow import outbox

    settings.SW_STUCK_SECONDS = -1
    monkeypatch.setitem(outbox._HANDLERS, "declarations.declaration.accepted", [])
    declaration = lodge(importer, mixed_payload(lrn="CLR-SWEEP"), django_capture_on_commit_callbacks)
    assert Declaration.objects.get(pk=declaration.pk).status == Status.ACCEPTED
    assert declaration.pk in services.declarations_stuck(older_than=timedelta(seconds=-1)).to_route
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.clearance_sweep.delay().get()
    assert result["routed"] >= 1
    assert Declaration.objects.get(pk=declaration.pk).status == Status.IN_REVIEW


def test_sweep_tells_the_trader_about_a_question_whose_notification_was_lost(
    routed, plant_officer, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from agencies import services as agency_services
    from clearance import tasks
    from clearance.models import Notification, NotificationKind
    from singlewindow import outbox

    monkeypatch.setitem(outbox._HANDLERS, "agencies.review.decided", [])  # the task never reaches Redis
    with django_capture_on_commit_callbacks(execute=True):
        agency_services.review_decide(
            review=review_of(routed, "plant-health"),
            officer=plant_officer,
            outcome="info_requested",
            reason="Which nursery grew the roses?",
        )
    assert not Notification.objects.filter(declaration=routed).exists()

    settings.SW_STUCK_SECONDS = -1
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.clearance_sweep.delay().get()["notified"] == 1
    told = Notification.objects.get(declaration=routed, kind=NotificationKind.INFO_REQUESTED)
    assert "Which nursery grew the roses?" in told.message
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.clearance_sweep.delay().get()["notified"] == 0  # told once: not again


def test_sweep_tells_about_each_agencys_question_and_not_about_decided_declarations(
    routed, plant_officer, food_officer, supervisor, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from agencies import services as agency_services
    from clearance.models import Notification
    from singlewindow import outbox

    # Plant health asks first and its notification task is lost; food safety asks next and the
    # trader is told about that one, after plant health's question.
    monkeypatch.setitem(outbox._HANDLERS, "agencies.review.decided", [])
    with django_capture_on_commit_callbacks(execute=True):
        agency_services.review_decide(
            review=review_of(routed, "plant-health"),
            officer=plant_officer,
            outcome="info_requested",
            reason="Nursery?",
        )
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        agency_services.review_decide(
            review=review_of(routed, "food-safety"),
            officer=food_officer,
            outcome="info_requested",
            reason="Cold chain?",
        )
    assert Notification.objects.filter(declaration=routed, message__contains="Cold chain?").exists()
    settings.SW_STUCK_SECONDS = -1
    assert services.declarations_stuck(older_than=timedelta(seconds=-1)).to_notify == [
        review_of(routed, "plant-health").info_requests.get().pk
    ]

    services.release_override(declaration=routed, supervisor=supervisor, outcome="released", reason="Known")
    assert services.declarations_stuck(older_than=timedelta(seconds=-1)).to_notify == []
    assert not Notification.objects.filter(declaration=routed, message__contains="Nursery?").exists()


def test_automatic_decisions_are_ignored_where_the_installation_does_not_allow_them(
    importer, agencies, settings, django_capture_on_commit_callbacks
):
    """A flag left on in production cannot wave goods through: a person still decides."""
    settings.SW_AUTO_DECIDE_ALLOWED = False
    Agency.objects.update(auto_decide=True)
    declaration = lodge(importer, mixed_payload(lrn="CLR-NO-AUTO"), django_capture_on_commit_callbacks)
    declaration.refresh_from_db()
    assert set(declaration.reviews.values_list("status", flat=True)) == {ReviewStatus.PENDING}
    assert declaration.status == Status.IN_REVIEW
