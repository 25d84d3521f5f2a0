"""HMRC Trade Test 4.2's licence cases, lodged as the files are, decide the licensing review.

TC021: value available on GBCPI000004-0001 → approved automatically, 10.00 GBP written off.
TC020: 100 kg written off GBOIL000002-0001, which has 50 kg left → an officer, told the shortfall.
TC041: GBOIL000011-0001 is not on file → an officer, told so.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from agencies.models import Licence, LicenceUsage, ReviewStatus, UsageKind
from tests.agencies.fixtures import review_of

from .licence_fixtures import (
    CHEMICALS_TRADER,
    OIL_TRADER,
    RPA_TRADER,
    TC020,
    TC021,
    TC041,
    licence_for,
    lodge_xml,
    trader,
)

pytestmark = pytest.mark.django_db


def test_tc021_value_available_on_licence_is_approved_automatically_and_written_off(
    licensing, django_capture_on_commit_callbacks
):
    licence = licence_for(
        licensing, code="L001", number="GBCPI000004-0001", holder=RPA_TRADER, hs=["3502"], value="1000"
    )
    declaration = lodge_xml(trader(RPA_TRADER, "rpa"), TC021.read_bytes(), django_capture_on_commit_callbacks)

    review = review_of(declaration, "import-licensing")
    assert review.status == ReviewStatus.AUTO_APPROVED
    assert "GBCPI000004-0001" in review.decision_reason
    licence.refresh_from_db()
    assert licence.value_balance == Decimal("990.00")
    usage = LicenceUsage.objects.get(licence=licence, kind=UsageKind.DECREMENT)
    assert (usage.declaration_id, usage.item, usage.value) == (declaration.pk, 1, Decimal("10.00"))
    (finding,) = review.licence_findings
    assert finding["covered"] and finding["reason"] == "covered"


def test_tc020_quantity_exceeded_goes_to_an_officer_with_the_shortfall(
    licensing, django_capture_on_commit_callbacks
):
    licence = licence_for(
        licensing, code="9100", number="GBOIL000002-0001", holder=OIL_TRADER, hs=["2612"], quantity="50"
    )
    declaration = lodge_xml(trader(OIL_TRADER, "oil"), TC020.read_bytes(), django_capture_on_commit_callbacks)

    review = review_of(declaration, "import-licensing")
    assert review.status == ReviewStatus.PENDING
    (finding,) = review.licence_findings
    assert finding["reason"] == "exhausted"
    assert finding["message"] == "Licence GBOIL000002-0001 has 50 kg left; this item writes off 100 kg."
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(50)  # nothing written off
    assert not LicenceUsage.objects.filter(licence=licence, kind=UsageKind.DECREMENT).exists()


def test_tc041_licence_not_on_file_goes_to_an_officer(licensing, django_capture_on_commit_callbacks):
    # The agency issues 9100 licences (another one is on file), but not GBOIL000011-0001.
    licence_for(
        licensing, code="9100", number="GBOIL000010-0001", holder=CHEMICALS_TRADER, hs=["26"], quantity="500"
    )
    declaration = lodge_xml(
        trader(CHEMICALS_TRADER, "chemicals"), TC041.read_bytes(), django_capture_on_commit_callbacks
    )

    review = review_of(declaration, "import-licensing")
    assert review.status == ReviewStatus.PENDING
    (finding,) = review.licence_findings
    assert finding["reason"] == "not_on_file"
    assert "No such licence on file" in finding["message"]
    assert "GBOIL000011-0001" in finding["message"]


def test_the_demo_seed_files_the_tt42_licences_so_tc021_lodged_by_the_broker_is_approved(
    django_capture_on_commit_callbacks,
):
    from django.core.management import call_command

    from accounts.models import User

    call_command("seed_demo")
    call_command("seed_demo")  # twice: the licences are filed once
    assert Licence.objects.filter(agency__code="import-licensing").count() == 3
    broker = User.objects.get(username="broker")
    declaration = lodge_xml(broker, TC021.read_bytes(), django_capture_on_commit_callbacks)
    assert review_of(declaration, "import-licensing").status == ReviewStatus.AUTO_APPROVED
    declaration = lodge_xml(broker, TC020.read_bytes(), django_capture_on_commit_callbacks)
    assert review_of(declaration, "import-licensing").status == ReviewStatus.PENDING
