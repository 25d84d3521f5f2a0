"""AEOs' reviews come first in every agency queue, then by due time (``AgencyReview.priority``).

The priority is set when routing opens the review, from the trader account's AEO authorisation on
the declaration's acceptance date; the queue page tags those rows "AEO".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AeoTier, TraderAccount
from agencies import selectors
from agencies.models import AEO_PRIORITY
from tests.agencies.fixtures import ROSES, item, lodge, payload_with, review_of

pytestmark = pytest.mark.django_db


def lodge_roses(importer: Any, lrn: str, capture: Any, *, ago: timedelta) -> Any:
    with time_machine.travel(timezone.now() - ago):
        return lodge(importer, payload_with(item(1, ROSES), lrn=lrn), capture)


def make_aeo(account: TraderAccount, *, valid_until: date | None = None) -> None:
    account.aeo_tier = AeoTier.AEOF
    account.aeo_reference = "GBAEOF0001"
    account.aeo_valid_from = date(2020, 1, 1)
    account.aeo_valid_until = valid_until
    account.save()


def test_aeo_reviews_come_first_then_by_due_time(
    importer, importer_account, plant_officer, agencies, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    plain = lodge_roses(importer, "PRIO-1", capture, ago=timedelta(hours=3))  # due first
    make_aeo(importer_account)
    aeo_late = lodge_roses(importer, "PRIO-2", capture, ago=timedelta(hours=1))
    aeo_early = lodge_roses(importer, "PRIO-3", capture, ago=timedelta(hours=2))
    make_aeo(importer_account, valid_until=timezone.localdate() - timedelta(days=400))
    expired = lodge_roses(importer, "PRIO-4", capture, ago=timedelta(0))

    for view in ("pending", "all"):
        order = [r.declaration_id for r in selectors.review_queue(plant_officer, view=view)]
        assert order == [aeo_early.pk, aeo_late.pk, plain.pk, expired.pk], view
    assert review_of(aeo_late, "plant-health").priority == AEO_PRIORITY
    assert review_of(expired, "plant-health").priority == 0


def test_queue_page_tags_aeo_rows(
    client, importer, importer_account, plant_officer, agencies, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    lodge_roses(importer, "PRIO-5", capture, ago=timedelta(hours=1))
    make_aeo(importer_account)
    lodge_roses(importer, "PRIO-6", capture, ago=timedelta(0))
    client.force_login(plant_officer)
    text = client.get(reverse("agencies:queue")).content.decode()
    assert text.count('class="tag tag--aeo"') == 1
    # The AEO's declaration (lodged last, due last) is the first row.
    first_row = text.split("<tbody>")[1].split("</tr>")[0]
    assert "tag--aeo" in first_row


def test_authorisation_not_yet_in_force_on_acceptance_gives_no_priority(
    importer, importer_account, plant_officer, agencies, django_capture_on_commit_callbacks
):
    importer_account.aeo_tier = AeoTier.AEOC
    importer_account.aeo_valid_from = timezone.localdate() + timedelta(days=1)
    importer_account.save()
    declaration = lodge_roses(importer, "PRIO-7", django_capture_on_commit_callbacks, ago=timedelta(0))
    assert review_of(declaration, "plant-health").priority == 0
