"""Controls and consolidation: each lane's control opened once, recorded once, and the release
waiting for it; the outcomes on the trader's history and the rules' hit rates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from agencies import services as agency_services
from agencies.models import ReviewStatus
from clearance import services
from clearance.inspections import services as controls
from clearance.inspections.opening import controls_open
from clearance.models import (
    ComplianceEvent,
    ComplianceKind,
    ControlKind,
    ControlStatus,
    ControlTask,
    InspectionStatus,
    JointInspection,
    Lane,
    Notification,
    NotificationKind,
    RuleHit,
)
from clearance.selectors import release_conditions
from declarations.models import Status
from singlewindow.errors import DomainError

from .conftest import ROSES, TEA, in_an_hour, item, routed_in_lane, set_lane

pytestmark = pytest.mark.django_db


def appointment(**changes):
    values = {
        "scheduled_for": in_an_hour(),
        "place": "Berth 4, inspection shed B",
        "goods_location": "GBAUFELGBA",
        "instructions": "The original invoice; container opened.",
        "contact": "Duty officer +44 20 7946 0000",
    }
    values.update(changes)
    return controls.Appointment(**values)


def conditions_of(declaration):
    return {c.key: c for c in release_conditions(declaration, reviews=list(declaration.reviews.all()))}


def test_green_declaration_opens_no_control_and_is_released(
    importer, agencies, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.GREEN, lrn="CTRL-GREEN", capture=django_capture_on_commit_callbacks
    )
    assert declaration.status == Status.RELEASED
    assert not ControlTask.objects.filter(declaration=declaration).exists()


def test_a_declaration_without_assessment_counts_as_green(
    importer, agencies, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.GREEN, lrn="CTRL-OLD", capture=django_capture_on_commit_callbacks
    )
    declaration.risk.delete()
    assert services.lane_cleared(declaration) is True


def test_yellow_opens_one_documentary_check_once_and_waits_for_it(
    importer, agencies, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.YELLOW, lrn="CTRL-Y1", capture=django_capture_on_commit_callbacks
    )
    task = ControlTask.objects.get(declaration=declaration)
    assert (task.kind, task.agency.is_customs, task.status, task.review) == (
        ControlKind.DOCUMENTARY,
        True,
        ControlStatus.OPEN,
        None,
    )
    assert declaration.status == Status.IN_REVIEW  # customs approved: only the check is waited for
    # Idempotent: routing's call again, consolidation again, open nothing more.
    assert controls_open(declaration=declaration) == []
    assert services.declaration_consolidate(declaration_id=declaration.pk) is None
    assert ControlTask.objects.filter(declaration=declaration).count() == 1
    condition = conditions_of(declaration)["controls"]
    assert not condition.met and "documentary check" in condition.detail
    assert services.lane_cleared(declaration) is False


def test_yellow_released_after_a_compliant_documentary_check_recorded_once(
    importer, agencies, customs_officer, customs_officer_2, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.YELLOW, lrn="CTRL-Y2", capture=django_capture_on_commit_callbacks
    )
    task = ControlTask.objects.get(declaration=declaration)
    controls.documentary_decide(task=task, officer=customs_officer, outcome="compliant")
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    task.refresh_from_db()
    assert (task.status, task.outcome, task.completed_by) == (
        ControlStatus.DONE,
        "compliant",
        customs_officer,
    )
    with pytest.raises(controls.ControlConflict):
        controls.documentary_decide(
            task=task, officer=customs_officer_2, outcome="non_compliant", findings="x"
        )
    assert RuleHit.objects.get(assessment__declaration=declaration).outcome == "compliant"
    event = ComplianceEvent.objects.get(declaration=declaration)
    assert (event.kind, event.source, event.trader_account_id) == (
        ComplianceKind.INSPECTION_COMPLIANT,
        f"control:{task.pk}",
        declaration.trader_account_id,
    )


def test_yellow_refused_on_a_non_compliant_check_with_the_findings_as_reason(
    importer, agencies, customs_officer, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.YELLOW, lrn="CTRL-Y3", capture=django_capture_on_commit_callbacks
    )
    task = ControlTask.objects.get(declaration=declaration)
    with pytest.raises(DomainError) as missing:
        controls.documentary_decide(task=task, officer=customs_officer, outcome="non_compliant", findings=" ")
    assert missing.value.code == "findings_required"
    controls.documentary_decide(
        task=task,
        officer=customs_officer,
        outcome="non_compliant",
        findings="Invoice value differs from item 1.",
    )
    declaration.refresh_from_db()
    assert declaration.status == Status.REFUSED
    reasons = declaration.release_decision.reasons
    assert any("Invoice value differs from item 1." in r["reason"] for r in reasons)
    refused = Notification.objects.filter(declaration=declaration, kind=NotificationKind.REFUSED).first()
    assert refused is not None and "Invoice value differs" in refused.message
    assert RuleHit.objects.get(assessment__declaration=declaration).outcome == "non_compliant"


def test_a_non_customs_officer_cannot_record_a_documentary_check(
    importer, agencies, plant_officer, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.YELLOW, lrn="CTRL-Y4", capture=django_capture_on_commit_callbacks
    )
    task = ControlTask.objects.get(declaration=declaration)
    with pytest.raises(DomainError) as refused:
        controls.documentary_decide(task=task, officer=plant_officer, outcome="compliant")
    assert refused.value.code == "not_found"


def test_red_waits_for_the_inspection_then_released_on_customs_compliant_finding(
    importer, supervisor, agencies, customs_officer, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.RED, lrn="CTRL-R1", capture=django_capture_on_commit_callbacks
    )
    task = ControlTask.objects.get(declaration=declaration)
    assert (task.kind, task.status) == (ControlKind.PHYSICAL, ControlStatus.OPEN)
    assert "inspection to be scheduled" in conditions_of(declaration)["controls"].detail
    with django_capture_on_commit_callbacks(execute=True):
        inspection = controls.inspection_schedule(
            declaration=declaration, supervisor=supervisor, appointment=appointment()
        )
    task.refresh_from_db()
    assert (task.status, task.inspection) == (ControlStatus.SCHEDULED, inspection)
    assert "inspection scheduled for" in conditions_of(declaration)["controls"].detail
    told = Notification.objects.get(declaration=declaration, kind=NotificationKind.INSPECTION)
    assert "Berth 4, inspection shed B" in told.message and "The original invoice" in told.message
    assert any("Berth 4" in m.body for m in mail.outbox)

    controls.finding_record(
        inspection_id=inspection.pk, officer=customs_officer, finding=controls.Finding(outcome="compliant")
    )
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.COMPLETED
    assert RuleHit.objects.get(assessment__declaration=declaration).outcome == "compliant"
    assert (
        ComplianceEvent.objects.filter(
            declaration=declaration, kind=ComplianceKind.INSPECTION_COMPLIANT
        ).count()
        == 1
    )


def test_red_refused_on_seizure_with_the_fine_on_the_traders_history(
    importer, supervisor, agencies, customs_officer, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.RED, lrn="CTRL-R2", capture=django_capture_on_commit_callbacks
    )
    inspection = controls.inspection_schedule(
        declaration=declaration, supervisor=supervisor, appointment=appointment()
    )
    finding = controls.finding_record(
        inspection_id=inspection.pk,
        officer=customs_officer,
        finding=controls.Finding(
            outcome="non_compliant",
            findings="Undeclared cigarettes behind the tea.",
            seizure=True,
            fine_amount=Decimal("1250.005"),
            fine_currency="gbp",
        ),
    )
    declaration.refresh_from_db()
    assert declaration.status == Status.REFUSED
    events = {e.kind: e for e in ComplianceEvent.objects.filter(declaration=declaration)}
    assert set(events) == {
        ComplianceKind.INSPECTION_NON_COMPLIANT,
        ComplianceKind.SEIZURE,
        ComplianceKind.FINE,
    }
    assert (events[ComplianceKind.FINE].amount, events[ComplianceKind.FINE].currency) == (
        Decimal("1250.01"),
        "GBP",
    )
    assert events[ComplianceKind.SEIZURE].source == f"finding:{finding.pk}:seizure"
    assert RuleHit.objects.get(assessment__declaration=declaration).outcome == "non_compliant"


def test_a_finding_is_recorded_once_per_agency(
    importer,
    supervisor,
    agencies,
    customs_officer,
    customs_officer_2,
    plant_officer,
    django_capture_on_commit_callbacks,
):
    declaration = routed_in_lane(
        importer,
        Lane.RED,
        item(1, TEA),
        item(2, ROSES),
        lrn="CTRL-R3",
        capture=django_capture_on_commit_callbacks,
    )
    inspection = controls.inspection_schedule(
        declaration=declaration, supervisor=supervisor, appointment=appointment()
    )
    controls.finding_record(
        inspection_id=inspection.pk, officer=customs_officer, finding=controls.Finding(outcome="compliant")
    )
    with pytest.raises(controls.ControlConflict):
        controls.finding_record(
            inspection_id=inspection.pk,
            officer=customs_officer_2,
            finding=controls.Finding(outcome="compliant"),
        )
    # Plant health does not attend (it required no inspection): its officer is not let in.
    with pytest.raises(DomainError) as refused:
        controls.finding_record(
            inspection_id=inspection.pk, officer=plant_officer, finding=controls.Finding(outcome="compliant")
        )
    assert refused.value.code == "not_found"


def test_an_agencys_inspection_required_opens_its_physical_control_once(
    importer, agencies, plant_officer, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.GREEN, item(1, ROSES), lrn="CTRL-A1", capture=django_capture_on_commit_callbacks
    )
    review = declaration.reviews.get(agency__code="plant-health")
    with django_capture_on_commit_callbacks(execute=True):  # the outbox's consolidation runs
        agency_services.review_decide(
            review=review, officer=plant_officer, outcome="inspection_required", reason="Check for thrips."
        )
    task = ControlTask.objects.get(declaration=declaration)
    assert (task.kind, task.agency.code, task.review_id, task.reason) == (
        ControlKind.PHYSICAL,
        "plant-health",
        review.pk,
        "Check for thrips.",
    )
    services.declaration_consolidate(declaration_id=declaration.pk)
    assert ControlTask.objects.filter(declaration=declaration).count() == 1


def test_one_joint_inspection_for_every_agency_and_a_late_task_joins_it(
    importer, supervisor, agencies, customs_officer, plant_officer, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    declaration = routed_in_lane(
        importer, Lane.RED, item(1, TEA), item(2, ROSES), lrn="CTRL-J1", capture=capture
    )
    inspection = controls.inspection_schedule(
        declaration=declaration, supervisor=supervisor, appointment=appointment()
    )
    with pytest.raises(controls.ControlConflict):
        controls.inspection_schedule(
            declaration=declaration, supervisor=supervisor, appointment=appointment()
        )
    review = declaration.reviews.get(agency__code="plant-health")
    with capture(execute=True):
        agency_services.review_decide(
            review=review, officer=plant_officer, outcome="inspection_required", reason="Thrips."
        )
    late = ControlTask.objects.get(review=review)
    assert (late.inspection, late.status) == (inspection, ControlStatus.SCHEDULED)  # joins the scheduled one
    assert JointInspection.objects.filter(declaration=declaration).count() == 1

    controls.finding_record(
        inspection_id=inspection.pk, officer=customs_officer, finding=controls.Finding(outcome="compliant")
    )
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.SCHEDULED  # plant health has not recorded yet
    controls.finding_record(
        inspection_id=inspection.pk,
        officer=plant_officer,
        finding=controls.Finding(outcome="non_compliant", findings="Thrips found on two boxes."),
    )
    inspection.refresh_from_db()
    late.refresh_from_db()
    assert inspection.status == InspectionStatus.COMPLETED
    assert (late.status, late.outcome) == (ControlStatus.DONE, "non_compliant")
    declaration.refresh_from_db()
    assert declaration.status == Status.IN_REVIEW  # plant health decides its review on its findings
    with capture(execute=True):
        agency_services.review_decide(
            review=review, officer=plant_officer, outcome="rejected", reason="Thrips."
        )
    declaration.refresh_from_db()
    assert declaration.status == Status.REFUSED
    # A non-customs finding does not set the rules' outcome; customs' does (compliant here).
    assert RuleHit.objects.get(assessment__declaration=declaration).outcome == "compliant"


def test_an_amendment_raising_the_lane_opens_the_missing_physical_control(
    importer, agencies, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.YELLOW, lrn="CTRL-UP", capture=django_capture_on_commit_callbacks
    )
    assessment = set_lane(declaration, Lane.RED)
    opened = controls_open(declaration=declaration, assessment=assessment)
    assert [t.kind for t in opened] == [ControlKind.PHYSICAL]
    kinds = dict(ControlTask.objects.filter(declaration=declaration).values_list("kind", "status"))
    assert kinds == {
        ControlKind.DOCUMENTARY: ControlStatus.CANCELLED,
        ControlKind.PHYSICAL: ControlStatus.OPEN,
    }
    assert controls_open(declaration=declaration, assessment=assessment) == []


def test_reschedule_and_cancel_need_a_reason_and_a_future_date(
    importer, supervisor, agencies, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    declaration = routed_in_lane(
        importer, Lane.RED, lrn="CTRL-S1", capture=django_capture_on_commit_callbacks
    )
    with pytest.raises(DomainError) as past:
        controls.inspection_schedule(
            declaration=declaration,
            supervisor=supervisor,
            appointment=appointment(scheduled_for=timezone.now()),
        )
    assert past.value.code == "in_the_past"
    inspection = controls.inspection_schedule(
        declaration=declaration, supervisor=supervisor, appointment=appointment()
    )
    with pytest.raises(DomainError) as no_reason:
        controls.inspection_reschedule(
            inspection_id=inspection.pk, supervisor=supervisor, appointment=appointment(), reason=""
        )
    assert no_reason.value.code == "reason_required"
    moved = controls.inspection_reschedule(
        inspection_id=inspection.pk,
        supervisor=supervisor,
        appointment=appointment(place="Shed C"),
        reason="Crane down",
    )
    assert moved.place == "Shed C"
    controls.inspection_cancel(inspection_id=inspection.pk, supervisor=supervisor, reason="Vessel delayed")
    task = ControlTask.objects.get(declaration=declaration)
    assert (task.status, task.inspection) == (ControlStatus.OPEN, None)  # to be scheduled again
    assert Notification.objects.filter(declaration=declaration, kind=NotificationKind.INSPECTION).count() == 3
    again = controls.inspection_schedule(
        declaration=declaration, supervisor=supervisor, appointment=appointment()
    )
    assert again.pk != inspection.pk


def test_a_supervisor_may_still_override_a_control_refusal(
    importer, supervisor, agencies, customs_officer, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.YELLOW, lrn="CTRL-OV", capture=django_capture_on_commit_callbacks
    )
    task = ControlTask.objects.get(declaration=declaration)
    controls.documentary_decide(
        task=task, officer=customs_officer, outcome="non_compliant", findings="Wrong origin."
    )
    decision = services.release_override(
        declaration=declaration,
        supervisor=supervisor,
        outcome="released",
        reason="Origin proven by certificate.",
    )
    assert decision.outcome == "released"


def test_the_sweep_leaves_declarations_waiting_on_a_control(
    importer, agencies, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    declaration = routed_in_lane(
        importer, Lane.RED, lrn="CTRL-SW", capture=django_capture_on_commit_callbacks
    )
    stuck = services.declarations_stuck(older_than=timedelta(seconds=-60))
    assert declaration.pk not in stuck.to_consolidate


@pytest.mark.parametrize("lane", [Lane.GREEN, Lane.YELLOW, Lane.RED])
@pytest.mark.parametrize("outcome", ["compliant", "non_compliant"])
def test_every_declaration_ends_released_refused_or_waiting_with_a_reason(
    lane, outcome, importer, supervisor, agencies, customs_officer, django_capture_on_commit_callbacks
):
    """Invariant, over every lane and control outcome: after each step the declaration is released,
    refused, or in review with at least one release condition open that names what it waits for."""

    def holds() -> None:
        declaration.refresh_from_db()
        if declaration.status in (Status.RELEASED, Status.REFUSED):
            return
        assert declaration.status == Status.IN_REVIEW
        waiting = [c for c in conditions_of(declaration).values() if not c.met]
        assert waiting and all(c.detail for c in waiting)

    declaration = routed_in_lane(
        importer, lane, lrn=f"CTRL-INV-{lane[:1]}{outcome[:1]}", capture=django_capture_on_commit_callbacks
    )
    holds()
    findings = "" if outcome == "compliant" else "Goods differ from the declaration."
    if lane == Lane.YELLOW:
        task = ControlTask.objects.get(declaration=declaration)
        controls.documentary_decide(task=task, officer=customs_officer, outcome=outcome, findings=findings)
    elif lane == Lane.RED:
        inspection = controls.inspection_schedule(
            declaration=declaration, supervisor=supervisor, appointment=appointment()
        )
        holds()
        controls.finding_record(
            inspection_id=inspection.pk,
            officer=customs_officer,
            finding=controls.Finding(outcome=outcome, findings=findings),
        )
    declaration.refresh_from_db()
    expected = Status.RELEASED if lane == Lane.GREEN or outcome == "compliant" else Status.REFUSED
    assert declaration.status == expected
    holds()


def test_customs_reviews_waiting_keep_a_compliant_control_from_releasing(
    importer, agencies, customs_officer, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.YELLOW, lrn="CTRL-WAIT", capture=django_capture_on_commit_callbacks, auto=False
    )
    assert declaration.reviews.get().status == ReviewStatus.PENDING
    task = ControlTask.objects.get(declaration=declaration)
    controls.documentary_decide(task=task, officer=customs_officer, outcome="compliant")
    declaration.refresh_from_db()
    assert declaration.status == Status.IN_REVIEW
    assert conditions_of(declaration)["controls"].met
