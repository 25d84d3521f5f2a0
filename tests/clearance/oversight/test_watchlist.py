"""Watchlist pages: every agency contributes, removals are kept with who/when/why, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clearance.models import WatchlistEntry
from clearance.oversight import services
from singlewindow.models import AuditEvent

pytestmark = pytest.mark.django_db

WATCHLIST_PAGE_QUERIES = 10  # with the header's unread notifications
PAGES = ["clearance:watchlist", "clearance:aeo", "clearance:risk_dashboard"]


def add(user, agency, eori="GB246810121416", reason="Seizure of counterfeit goods", **kw):
    return services.watchlist_add(
        user=user, agency=agency, eori=eori, name=kw.pop("name", ""), reason=reason, **kw
    )


@pytest.mark.parametrize("persona", ["importer", "broker", "cashier"])
def test_traders_brokers_and_cashiers_get_404_on_every_oversight_page(client, request, persona, oversight):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 404, name
    assert client.post(reverse("clearance:watchlist_add"), {}).status_code == 404
    assert client.get(reverse("clearance:aeo_edit", args=[1])).status_code == 404
    assert client.get(reverse("clearance:risk_dashboard_csv", args=["lanes"])).status_code == 404


def test_officer_adds_an_entry_for_its_agency_linked_to_the_trader_account(
    client, plant_officer, importer_account, oversight
):
    client.force_login(plant_officer)
    page = client.get(reverse("clearance:watchlist")).content.decode()
    assert "Plant Health Inspectorate" in page and 'name="add-eori"' in page
    response = client.post(
        reverse("clearance:watchlist_add"),
        {
            "add-agency": str(oversight["plant-health"].pk),
            "add-eori": " gb553202734852 ",
            "add-reason": "Roses without certificates, twice",
        },
    )
    assert response.status_code == 302
    entry = WatchlistEntry.objects.get()
    assert (entry.eori, entry.agency.code, entry.added_by, entry.trader_account) == (
        "GB553202734852",
        "plant-health",
        plant_officer,
        importer_account,
    )
    assert entry.name == importer_account.name
    event = AuditEvent.objects.get(action="clearance.watchlist.added")
    assert event.actor == plant_officer and event.object_id == entry.pk
    assert event.data["reason"] == "Roses without certificates, twice"
    text = client.get(reverse("clearance:watchlist")).content.decode()
    assert "GB553202734852" in text and "Roses without certificates, twice" in text


def test_add_refuses_a_bad_eori_a_missing_reason_and_a_duplicate_of_the_same_agency(
    client, plant_officer, food_officer, oversight
):
    client.force_login(plant_officer)
    url = reverse("clearance:watchlist_add")
    plant = str(oversight["plant-health"].pk)
    bad = client.post(url, {"add-agency": plant, "add-eori": "12345", "add-reason": "x"})
    assert bad.status_code == 400 and "An EORI is a two-letter country code" in bad.content.decode()
    no_reason = client.post(url, {"add-agency": plant, "add-eori": "GB246810121416", "add-reason": " "})
    assert (
        no_reason.status_code == 400
        and "Say why the party is on the watchlist." in no_reason.content.decode()
    )
    assert (
        client.post(url, {"add-agency": plant, "add-eori": "GB246810121416", "add-reason": "a"}).status_code
        == 302
    )
    duplicate = client.post(url, {"add-agency": plant, "add-eori": "gb246810121416", "add-reason": "b"})
    assert duplicate.status_code == 400
    assert "already on Plant Health Inspectorate" in duplicate.content.decode()
    # Another agency may watch the same party.
    add(food_officer, oversight["food-safety"])
    assert WatchlistEntry.objects.count() == 2


def test_officer_cannot_add_for_another_agency(client, plant_officer, oversight):
    client.force_login(plant_officer)
    response = client.post(
        reverse("clearance:watchlist_add"),
        {"add-agency": str(oversight["food-safety"].pk), "add-eori": "GB246810121416", "add-reason": "x"},
    )
    assert response.status_code == 400
    assert not WatchlistEntry.objects.exists()


def test_removal_keeps_the_entry_with_who_when_why_and_is_audited(client, plant_officer, oversight):
    entry = add(plant_officer, oversight["plant-health"])
    client.force_login(plant_officer)
    url = reverse("clearance:watchlist_remove", args=[entry.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Appeal upheld"}).status_code == 302
    entry.refresh_from_db()
    assert entry.removed_by == plant_officer and entry.removal_reason == "Appeal upheld" and entry.removed_at
    assert AuditEvent.objects.filter(action="clearance.watchlist.removed", object_id=entry.pk).count() == 1
    active = client.get(reverse("clearance:watchlist")).content.decode()
    assert "GB246810121416" not in active
    removed = client.get(reverse("clearance:watchlist"), {"show": "removed"}).content.decode()
    assert "GB246810121416" in removed and "Appeal upheld" in removed
    # Removed once: a second removal is the same 404 as a missing entry.
    assert client.post(url, {"reason": "again"}).status_code == 404


def test_officer_of_another_agency_gets_404_removing_an_entry(client, plant_officer, food_officer, oversight):
    entry = add(plant_officer, oversight["plant-health"])
    client.force_login(food_officer)
    listing = client.get(reverse("clearance:watchlist")).content.decode()
    assert "GB246810121416" in listing  # every agency sees every entry
    assert reverse("clearance:watchlist_remove", args=[entry.pk]) not in listing
    url = reverse("clearance:watchlist_remove", args=[entry.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "not mine"}).status_code == 404
    assert client.get(reverse("clearance:watchlist_remove", args=[2**62])).status_code == 404
    entry.refresh_from_db()
    assert entry.removed_at is None


def test_supervisor_adds_for_customs_and_administrator_only_reads(client, supervisor, admin, oversight):
    client.force_login(supervisor)
    response = client.post(
        reverse("clearance:watchlist_add"),
        {"add-agency": str(oversight["customs"].pk), "add-eori": "GB999999999999", "add-reason": "Fraud"},
    )
    assert response.status_code == 302
    assert WatchlistEntry.objects.get().agency.code == "customs"
    client.force_login(admin)
    page = client.get(reverse("clearance:watchlist")).content.decode()
    assert "GB999999999999" in page and 'name="add-eori"' not in page
    assert client.post(reverse("clearance:watchlist_add"), {}).status_code == 404


def test_expired_entries_leave_the_active_list(client, plant_officer, oversight):
    entry = add(plant_officer, oversight["plant-health"], valid_until=timezone.localdate())
    WatchlistEntry.objects.filter(pk=entry.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    client.force_login(plant_officer)
    assert "GB246810121416" not in client.get(reverse("clearance:watchlist")).content.decode()
    expired = client.get(reverse("clearance:watchlist"), {"show": "expired"}).content.decode()
    assert "GB246810121416" in expired and "Expired" in expired
    # Past its validity, the party may be put on the list again.
    add(plant_officer, oversight["plant-health"])


def test_watchlist_page_queries_do_not_grow_with_entries(client, plant_officer, food_officer, oversight):
    add(plant_officer, oversight["plant-health"], eori="GB100000000001")
    client.force_login(plant_officer)
    url = reverse("clearance:watchlist")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(2, 9):
        add(food_officer, oversight["food-safety"], eori=f"GB10000000000{n}")
    with CaptureQueriesContext(connection) as many:
        text = client.get(url).content.decode()
    assert text.count('<span class="mono">GB1000000000') == 8
    # Session, user, device, groups (role), the officer's agencies, every active agency (filter),
    # the header's trader accounts, the count and the page of entries (with agency, users, account).
    assert len(many) == len(one) == WATCHLIST_PAGE_QUERIES, [q["sql"] for q in many.captured_queries]


def test_markup_in_a_reason_is_escaped(client, plant_officer, oversight):
    add(plant_officer, oversight["plant-health"], reason="<script>alert(1)</script>")
    client.force_login(plant_officer)
    text = client.get(reverse("clearance:watchlist")).content.decode()
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
