"""Licences as a careful reviewer tries them: a refused declaration gives back what it wrote off,
so when it is resubmitted and released, the licence that approved it is written off again."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agencies.models import ReviewStatus
from clearance import services as clearance
from declarations.models import Declaration, Status

from .fixtures import client_for, item, payload_with, review_of
from .test_licences import licensing_review, oil_licence, ore_item

pytestmark = pytest.mark.django_db


def test_a_resubmitted_declaration_writes_off_the_licence_again_after_its_refusal_gave_it_back(
    importer, licensing, supervisor, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    licence = oil_licence(licensing)
    review = licensing_review(importer, capture, ore_item(), item(2, "09021000"), lrn="LIC-RS1")
    declaration = Declaration.objects.get(pk=review.declaration_id)
    with capture(execute=True):
        clearance.release_override(
            declaration=declaration, supervisor=supervisor, outcome="refused", reason="Wrong tea."
        )
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(500)  # given back on refusal
    tea = item(2, "09021000")
    tea["description"] = "green tea, corrected"
    with capture(execute=True):
        response = client_for(importer).post(
            f"/api/v1/declarations/{declaration.mrn}/amendments",
            {"declaration": payload_with(ore_item(), tea, lrn="LIC-RS1"), "reason": "Tea corrected"},
            format="json",
        )
    assert response.status_code == 201, response.json()
    declaration.refresh_from_db()
    assert declaration.status in (Status.IN_REVIEW, Status.RELEASED)
    assert review_of(declaration, "import-licensing").status == ReviewStatus.AUTO_APPROVED
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(400)  # the licence approves it: written off again
