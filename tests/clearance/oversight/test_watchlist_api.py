"""The watchlist API: agencies' systems read every entry, add and remove their own agency's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clearance.models import WatchlistEntry
from clearance.oversight import services
from singlewindow.models import AuditEvent
from tests.agencies.fixtures import client_for

pytestmark = pytest.mark.django_db

EORI = "GB246810121416"


def post(user, url, data, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client_for(user).post(url, data, format="json", **headers)


def test_officer_system_adds_an_entry_for_its_agency_and_a_repeat_key_replays(plant_officer, oversight):
    body = {"eori": EORI.lower(), "reason": "Repeated interceptions", "valid_until": "2099-12-31"}
    first = post(plant_officer, "/api/v1/watchlist", body, key="wl-1")
    assert first.status_code == 201, first.json()
    data = first.json()
    assert (data["eori"], data["agency"], data["added_by"], data["active"]) == (
        EORI,
        "plant-health",
        "plant_officer",
        True,
    )
    again = post(plant_officer, "/api/v1/watchlist", body, key="wl-1")
    assert again.status_code == 201 and again.json() == data and again["Idempotent-Replayed"] == "true"
    assert WatchlistEntry.objects.count() == 1
    # Without the key, the same party again is a duplicate.
    duplicate = post(plant_officer, "/api/v1/watchlist", body)
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["code"] == "watchlist_duplicate"


def test_api_refuses_a_bad_eori_and_a_missing_reason(plant_officer, oversight):
    bad = post(plant_officer, "/api/v1/watchlist", {"eori": "1234", "reason": "x"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "eori"
    no_reason = post(plant_officer, "/api/v1/watchlist", {"eori": EORI})
    assert no_reason.status_code == 400 and no_reason.json()["errors"][0]["field"] == "reason"
    nobody = post(plant_officer, "/api/v1/watchlist", {"reason": "who?"})
    assert nobody.status_code == 400 and nobody.json()["errors"][0]["code"] == "watchlist_party_missing"
    other = post(plant_officer, "/api/v1/watchlist", {"eori": EORI, "reason": "x", "agency": "food-safety"})
    assert other.status_code == 400 and other.json()["errors"][0]["code"] == "agency_required"
    assert not WatchlistEntry.objects.exists()


def test_every_agency_reads_every_entry_removed_on_request(
    plant_officer, food_officer, supervisor, oversight
):
    entry = services.watchlist_add(
        user=plant_officer, agency=oversight["plant-health"], eori=EORI, name="", reason="r"
    )
    services.watchlist_remove(user=plant_officer, entry_id=entry.pk, reason="gone")
    services.watchlist_add(
        user=food_officer, agency=oversight["food-safety"], eori=EORI, name="", reason="r2"
    )
    for user in (plant_officer, food_officer, supervisor):
        active = client_for(user).get("/api/v1/watchlist").json()["results"]
        assert [e["agency"] for e in active] == ["food-safety"]
    every = client_for(food_officer).get("/api/v1/watchlist", {"show": "all"}).json()["results"]
    assert [(e["agency"], e["active"], e["removal_reason"]) for e in every] == [
        ("food-safety", True, ""),
        ("plant-health", False, "gone"),
    ]
    assert client_for(food_officer).get("/api/v1/watchlist", {"show": "bogus"}).status_code == 400


def test_remove_through_the_api_only_for_the_own_agency(plant_officer, food_officer, oversight):
    entry = services.watchlist_add(
        user=plant_officer, agency=oversight["plant-health"], eori=EORI, name="", reason="r"
    )
    url = f"/api/v1/watchlist/{entry.pk}/remove"
    assert post(food_officer, url, {"reason": "not mine"}).status_code == 404
    assert post(plant_officer, url, {"reason": ""}).status_code == 400
    assert post(plant_officer, f"/api/v1/watchlist/{2**63 + 5}/remove", {"reason": "x"}).status_code == 404
    removed = post(plant_officer, url, {"reason": "Licence granted"}, key="rm-1")
    assert removed.status_code == 200 and removed.json()["removed_by"] == "plant_officer"
    assert post(plant_officer, url, {"reason": "Licence granted"}, key="rm-1").status_code == 200  # replay
    assert post(plant_officer, url, {"reason": "Licence granted"}).status_code == 404  # already removed
    assert AuditEvent.objects.filter(action="clearance.watchlist.removed").count() == 1


@pytest.mark.parametrize("persona", ["importer", "broker", "cashier"])
def test_traders_get_404_from_the_watchlist_api(request, persona, oversight):
    user = request.getfixturevalue(persona)
    assert client_for(user).get("/api/v1/watchlist").status_code == 404
    assert post(user, "/api/v1/watchlist", {"eori": EORI, "reason": "x"}).status_code == 404
    assert post(user, "/api/v1/watchlist/1/remove", {"reason": "x"}).status_code == 404
    assert not WatchlistEntry.objects.exists()


def test_watchlist_list_queries_do_not_grow(plant_officer, food_officer, oversight):
    services.watchlist_add(
        user=plant_officer, agency=oversight["plant-health"], eori=EORI, name="", reason="r"
    )
    client = client_for(plant_officer)
    client.get("/api/v1/watchlist")
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/watchlist")
    for n in range(1, 8):
        services.watchlist_add(
            user=food_officer, agency=oversight["food-safety"], eori=f"GB55500000000{n}", name="", reason="r"
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/watchlist").json()["count"] == 8
    assert len(many) == len(one)


def test_watchlist_endpoints_are_in_the_openapi_schema(client, supervisor):
    client.force_login(supervisor)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/watchlist"])
    assert "post" in schema["paths"]["/api/v1/watchlist/{id}/remove"]


def test_a_filter_that_cannot_apply_is_a_400(plant_officer, oversight):
    client = client_for(plant_officer)
    assert client.get("/api/v1/watchlist", {"agency": "a\x00b"}).status_code == 400
    assert client.get("/api/v1/watchlist", {"eori": "x" * 201}).status_code == 400
