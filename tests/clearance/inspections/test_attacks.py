"""The controls as an attacker and a careful reviewer try them: closed declarations leave the
officers' lists, an officer of two attending agencies records for each, empty posts show errors,
and hostile input is an error on the form, never a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agencies import services as agency_services
from agencies.access import agency_add_officer
from clearance import services
from clearance.inspections import services as controls
from clearance.models import ControlStatus, ControlTask, InspectionFinding, InspectionStatus, Lane
from declarations.models import Status

from .conftest import ROSES, TEA, client_for, in_an_hour, item, payload_with, routed_in_lane

pytestmark = pytest.mark.django_db


def appointment():
    return controls.Appointment(scheduled_for=in_an_hour(), place="Berth 4, shed B")


def test_a_declaration_released_by_override_leaves_the_documentary_queue(
    client, importer, supervisor, customs_officer, agencies, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.YELLOW, lrn="ATK-Y1", capture=django_capture_on_commit_callbacks
    )
    client.force_login(customs_officer)
    assert declaration.mrn in client.get(reverse("clearance:controls")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.release_override(
            declaration=declaration, supervisor=supervisor, outcome="released", reason="Perishable."
        )
    assert declaration.mrn not in client.get(reverse("clearance:controls")).content.decode()


def test_a_declaration_released_by_override_leaves_the_plan_and_the_officers_inspections(
    client, importer, supervisor, customs_officer, agencies, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(importer, Lane.RED, lrn="ATK-R1", capture=django_capture_on_commit_callbacks)
    other = routed_in_lane(importer, Lane.RED, lrn="ATK-R2", capture=django_capture_on_commit_callbacks)
    controls.inspection_schedule(declaration=declaration, supervisor=supervisor, appointment=appointment())
    with django_capture_on_commit_callbacks(execute=True):
        for released in (declaration, other):
            services.release_override(
                declaration=released, supervisor=supervisor, outcome="released", reason="Perishable."
            )
    client.force_login(customs_officer)
    assert declaration.mrn not in client.get(reverse("clearance:inspections")).content.decode()
    client.force_login(supervisor)
    plan = client.get(reverse("clearance:inspection_plan")).content.decode()
    assert declaration.mrn not in plan and other.mrn not in plan


def test_an_officer_of_two_attending_agencies_records_the_findings_of_each(
    client, importer, supervisor, customs_officer, plant_officer, agencies, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    agency_add_officer(agency=agencies["customs"], user=plant_officer)
    declaration = routed_in_lane(
        importer, Lane.RED, item(1, TEA), item(2, ROSES), lrn="ATK-J1", capture=capture
    )
    review = declaration.reviews.get(agency__code="plant-health")
    with capture(execute=True):
        agency_services.review_decide(
            review=review, officer=plant_officer, outcome="inspection_required", reason="Thrips."
        )
    inspection = controls.inspection_schedule(
        declaration=declaration, supervisor=supervisor, appointment=appointment()
    )
    url = reverse("clearance:inspection", args=[inspection.pk])
    client.force_login(plant_officer)
    assert client.post(url, {"outcome": "compliant"}).status_code == 302
    assert client.post(url, {"outcome": "compliant"}).status_code == 302
    findings = InspectionFinding.objects.filter(inspection=inspection)
    recorded = set(findings.values_list("agency__code", flat=True))
    assert recorded == {"customs", "plant-health"}
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.COMPLETED


def test_an_empty_post_to_the_control_pages_shows_the_error_summary(
    client, importer, supervisor, customs_officer, agencies, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    yellow = routed_in_lane(importer, Lane.YELLOW, lrn="ATK-Y2", capture=capture)
    red = routed_in_lane(importer, Lane.RED, lrn="ATK-R3", capture=capture)
    inspection = controls.inspection_schedule(
        declaration=red, supervisor=supervisor, appointment=appointment()
    )
    client.force_login(customs_officer)
    task = ControlTask.objects.get(declaration=yellow)
    urls = [reverse("clearance:control", args=[task.pk])]
    urls.append(reverse("clearance:inspection", args=[inspection.pk]))
    for url in urls:
        response = client.post(url, {})
        assert response.status_code == 400
        assert "Say whether" in response.content.decode()


def test_a_resubmission_after_a_non_compliant_check_gets_a_new_check_instead_of_an_instant_refusal(
    importer, customs_officer, agencies, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    declaration = routed_in_lane(importer, Lane.YELLOW, lrn="ATK-RS1", capture=capture)
    task = ControlTask.objects.get(declaration=declaration)
    with capture(execute=True):
        controls.documentary_decide(
            task=task, officer=customs_officer, outcome="non_compliant", findings="Invoice missing."
        )
    declaration.refresh_from_db()
    assert declaration.status == Status.REFUSED
    resubmitted = item(1, TEA)
    resubmitted["documents"].append({"code": "N380", "reference": "INV-2026-1", "status": "AC"})
    with capture(execute=True):
        response = client_for(importer).post(
            f"/api/v1/declarations/{declaration.mrn}/amendments",
            {"declaration": payload_with(resubmitted, lrn="ATK-RS1"), "reason": "Invoice attached"},
            format="json",
        )
    assert response.status_code == 201, response.json()
    declaration.refresh_from_db()
    assert (declaration.status, declaration.version) == (Status.IN_REVIEW, 2)
    fresh = ControlTask.objects.get(declaration=declaration, status=ControlStatus.OPEN)
    assert fresh.kind == task.kind
    with capture(execute=True):
        controls.documentary_decide(task=fresh, officer=customs_officer, outcome="compliant")
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
