"""Two officers at the quay record the same agency's findings at the same moment: one is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clearance import services
from clearance.inspections import services as controls
from clearance.models import ComplianceEvent, InspectionFinding, Lane
from declarations.models import Declaration, Status
from singlewindow import outbox
from tests.concurrency import run_together

from .conftest import TEA, agency_auto_decide, client_for, item, payload_with, set_lane

pytestmark = [pytest.mark.fullstack, pytest.mark.django_db(transaction=True)]


def test_two_officers_record_the_same_agencys_findings_at_once_and_one_is_recorded(
    importer, supervisor, agencies, customs_officer, customs_officer_2, monkeypatch
):
    agency_auto_decide("customs")  # customs approves its review: only the inspection is waited for
    with monkeypatch.context() as patched:  # routing waits until the lane is set
        patched.setitem(outbox._HANDLERS, "declarations.declaration.accepted", [])
        response = client_for(importer).post(
            "/api/v1/declarations", payload_with(item(1, TEA), lrn="RACE-FIND"), format="json"
        )
    declaration = Declaration.objects.get(mrn=response.json()["mrn"])
    set_lane(declaration, Lane.RED)
    services.declaration_route(declaration_id=declaration.pk)
    inspection = controls.inspection_schedule(
        declaration=declaration,
        supervisor=supervisor,
        appointment=controls.Appointment(scheduled_for=timezone.now() + timedelta(hours=2), place="Shed B"),
    )
    results, failures = run_together(
        [
            lambda officer=officer, outcome=outcome: controls.finding_record(
                inspection_id=inspection.pk,
                officer=officer,
                finding=controls.Finding(
                    outcome=outcome, findings="" if outcome == "compliant" else "Short."
                ),
            )
            for officer, outcome in ((customs_officer, "compliant"), (customs_officer_2, "non_compliant"))
        ]
    )
    assert len(results) == 1 and len(failures) == 1
    assert isinstance(failures[0], controls.ControlConflict)
    assert InspectionFinding.objects.filter(inspection=inspection).count() == 1
    assert ComplianceEvent.objects.filter(declaration=declaration).count() == 1
    declaration.refresh_from_db()
    expected = Status.RELEASED if results[0].outcome == "compliant" else Status.REFUSED
    assert declaration.status == expected
