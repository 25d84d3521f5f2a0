"""The AEO register: supervisors keep a trader account's tier, number and validity; audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AeoTier
from agencies.models import AEO_PRIORITY
from singlewindow.models import AuditEvent
from tests.agencies.fixtures import ROSES, item, lodge, payload_with, review_of
from tests.factories import TraderAccountFactory

pytestmark = pytest.mark.django_db


def form(tier="AEOF", reference="GBAEOF553202", since="2025-01-01", until=""):
    return {"aeo_tier": tier, "aeo_reference": reference, "aeo_valid_from": since, "aeo_valid_until": until}


def test_supervisor_grants_an_authorisation_audited(client, supervisor, importer_account, oversight):
    client.force_login(supervisor)
    url = reverse("clearance:aeo_edit", args=[importer_account.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, form(until="2029-12-31")).status_code == 302
    importer_account.refresh_from_db()
    assert (importer_account.aeo_tier, importer_account.aeo_reference) == ("AEOF", "GBAEOF553202")
    assert importer_account.aeo_valid_until == date(2029, 12, 31)
    event = AuditEvent.objects.get(action="accounts.trader_account.aeo_changed")
    assert event.actor == supervisor and event.object_id == importer_account.pk
    assert event.data["before"]["aeo_tier"] == "" and event.data["after"]["aeo_tier"] == "AEOF"
    # Saving the same values changes nothing and writes no event.
    assert client.post(url, form(until="2029-12-31")).status_code == 302
    assert AuditEvent.objects.filter(action="accounts.trader_account.aeo_changed").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (form(until="2024-12-31"), "aeo_valid_until", "cannot end before it starts"),
        (form(reference=""), "aeo_reference", "Enter the authorisation number."),
        (form(since=""), "aeo_valid_from", "Enter the date the authorisation starts."),
        (form(tier=""), "aeo_tier", "Choose the AEO tier"),
        (form(tier="AEOX"), "aeo_tier", "Select a valid choice"),
    ],
)
def test_edit_refuses_an_inconsistent_authorisation(
    client, supervisor, importer_account, data, field, message
):
    client.force_login(supervisor)
    response = client.post(reverse("clearance:aeo_edit", args=[importer_account.pk]), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert message in text and f'href="#id_{field}"' in text
    importer_account.refresh_from_db()
    assert importer_account.aeo_tier == ""
    assert not AuditEvent.objects.filter(action="accounts.trader_account.aeo_changed").exists()


def test_register_highlights_expiring_and_shows_expired(client, admin):
    today = timezone.localdate()
    TraderAccountFactory(
        eori="GB100000000010", name="Soon Ltd", aeo_tier=AeoTier.AEOC, aeo_reference="R1",
        aeo_valid_from=date(2020, 1, 1), aeo_valid_until=today + timedelta(days=30),
    )  # fmt: skip
    TraderAccountFactory(
        eori="GB100000000011", name="Gone Ltd", aeo_tier=AeoTier.AEOS, aeo_reference="R2",
        aeo_valid_from=date(2020, 1, 1), aeo_valid_until=today - timedelta(days=1),
    )  # fmt: skip
    TraderAccountFactory(
        eori="GB100000000012", name="Fine Ltd", aeo_tier=AeoTier.AEOF, aeo_reference="R3",
        aeo_valid_from=date(2020, 1, 1),
    )  # fmt: skip
    TraderAccountFactory(eori="GB100000000013", name="Plain Ltd")
    client.force_login(admin)
    text = client.get(reverse("clearance:aeo")).content.decode()
    assert "Plain Ltd" not in text
    assert text.count("aeo-row--expiring") == 1 and "Expires soon" in text
    assert text.count("aeo-row--expired") == 1 and text.count("aeo-row--valid") == 1
    expiring = client.get(reverse("clearance:aeo"), {"show": "expiring"}).content.decode()
    assert "Soon Ltd" in expiring and "Gone Ltd" not in expiring and "Fine Ltd" not in expiring
    every = client.get(reverse("clearance:aeo"), {"show": "all", "text": "plain"}).content.decode()
    assert "Plain Ltd" in every and "Authorise" in every


def test_officers_get_404_on_the_register(client, plant_officer, importer_account):
    client.force_login(plant_officer)
    assert client.get(reverse("clearance:aeo")).status_code == 404
    assert client.post(reverse("clearance:aeo_edit", args=[importer_account.pk]), form()).status_code == 404
    importer_account.refresh_from_db()
    assert importer_account.aeo_tier == ""


def test_granting_and_withdrawing_reorders_open_reviews(
    client,
    supervisor,
    importer,
    importer_account,
    plant_officer,
    oversight,
    django_capture_on_commit_callbacks,
):
    declaration = lodge(
        importer, payload_with(item(1, ROSES), lrn="AEO-1"), django_capture_on_commit_callbacks
    )
    assert review_of(declaration, "plant-health").priority == 0
    client.force_login(supervisor)
    url = reverse("clearance:aeo_edit", args=[importer_account.pk])
    client.post(url, form(since="2020-01-01"))
    assert review_of(declaration, "plant-health").priority == AEO_PRIORITY
    client.post(url, form(tier="", reference="", since=""))
    assert review_of(declaration, "plant-health").priority == 0


def test_account_page_shows_the_aeo_authorisation(client, supervisor, importer, importer_account):
    importer_account.aeo_tier = AeoTier.AEOF
    importer_account.aeo_reference = "GBAEOF553202"
    importer_account.aeo_valid_from = date(2020, 1, 1)
    importer_account.save()
    client.force_login(importer)
    text = client.get(reverse("payments:account", args=[importer_account.pk])).content.decode()
    assert "AEO full (AEOC and AEOS)" in text and "GBAEOF553202" in text


def test_account_page_says_an_authorisation_expired(client, importer, importer_account):
    importer_account.aeo_tier = AeoTier.AEOC
    importer_account.aeo_reference = "GBAEOC1"
    importer_account.aeo_valid_from = date(2020, 1, 1)
    importer_account.aeo_valid_until = timezone.localdate() - timedelta(days=1)
    importer_account.save()
    client.force_login(importer)
    text = client.get(reverse("payments:account", args=[importer_account.pk])).content.decode()
    assert "Not in force today" in text and "GBAEOC1" in text
