"""The licences API: an agency's system registers and revokes its licences; everyone entitled reads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agencies.models import Licence, UsageKind
from tests.conftest import IMPORTER_EORI

from .fixtures import client_for, item, lodge, payload_with
from .licence_fixtures import licence_for

pytestmark = pytest.mark.django_db

BODY = {
    "document_code": "9100",
    "number": "GBOIL000002-0001",
    "holder": IMPORTER_EORI,
    "hs_prefixes": ["2612"],
    "quantity_allowance": "500",
    "quantity_unit": "KGM",
    "valid_from": "2024-01-01",
    "valid_until": "2099-12-31",
}


def test_an_agency_system_registers_a_licence_with_its_issue_line(licensing_officer, importer_account):
    response = client_for(licensing_officer).post("/api/v1/licences", BODY, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["agency"], data["number"], data["holder"], data["state"]) == (
        "import-licensing",
        "GBOIL000002-0001",
        IMPORTER_EORI,
        "valid",
    )
    assert Decimal(data["quantity_balance"]) == Decimal(500)
    assert [line["kind"] for line in data["history"]] == ["issue"]


def test_the_same_idempotency_key_registers_once(licensing_officer, importer_account):
    client = client_for(licensing_officer)
    first = client.post("/api/v1/licences", BODY, format="json", HTTP_IDEMPOTENCY_KEY="lic-1")
    again = client.post("/api/v1/licences", BODY, format="json", HTTP_IDEMPOTENCY_KEY="lic-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Licence.objects.count() == 1


def test_registering_the_same_number_twice_is_a_conflict(licensing_officer, importer_account):
    client = client_for(licensing_officer)
    assert client.post("/api/v1/licences", BODY, format="json").status_code == 201
    response = client.post("/api/v1/licences", BODY, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "licence_exists"


@pytest.mark.parametrize(
    ("changes", "code", "pointer"),
    [
        ({"holder": "GB000000000001"}, "licence_holder_unknown", "holder"),
        ({"quantity_allowance": None}, "licence_allowance_missing", "quantity_allowance"),
        ({"valid_until": "2020-01-01"}, "licence_validity_order", "valid_until"),
        ({"quantity_unit": ""}, "licence_unit_missing", "quantity_unit"),
        ({"agency": "plant-health"}, "licence_agency", "agency"),
    ],
    ids=["unknown-holder", "no-allowance", "ends-before-start", "no-unit", "another-agency"],
)
def test_a_licence_the_agency_cannot_register_is_refused_pointing_at_the_field(
    licensing_officer, importer_account, plant_health, changes, code, pointer
):
    response = client_for(licensing_officer).post("/api/v1/licences", {**BODY, **changes}, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["errors"][0]
    assert (error["code"], error["pointer"]) == (code, pointer)
    assert not Licence.objects.exists()


def test_a_trader_or_supervisor_cannot_register_a_licence(importer, supervisor, licensing):
    for user in (importer, supervisor):
        response = client_for(user).post("/api/v1/licences", BODY, format="json")
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "licence_not_allowed"


def test_the_issuing_agency_revokes_and_another_agency_gets_404(licensing, licensing_officer, plant_officer):
    licence = licence_for(licensing, code="9100", number="L-1", holder=IMPORTER_EORI, hs=[], quantity="10")
    url = f"/api/v1/licences/{licence.pk}/revoke"
    other = client_for(plant_officer).post(url, {"reason": "Not mine to revoke"}, format="json")
    assert other.status_code == 404
    missing = client_for(plant_officer).post("/api/v1/licences/999999/revoke", {"reason": "x"}, format="json")
    assert missing.status_code == 404
    assert other.json() == missing.json()
    no_reason = client_for(licensing_officer).post(url, {"reason": ""}, format="json")
    assert no_reason.status_code == 400
    response = client_for(licensing_officer).post(url, {"reason": "Holder wound up"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "revoked"
    assert [line["kind"] for line in response.json()["history"]] == [UsageKind.ISSUE, UsageKind.REVOKE]
    assert client_for(licensing_officer).post(url, {"reason": "again"}, format="json").status_code == 409


def test_every_agency_reads_a_licence_and_its_write_offs(
    importer, licensing, plant_officer, supervisor, django_capture_on_commit_callbacks
):
    licence = licence_for(
        licensing, code="9100", number="GBOIL000002-0001", holder=IMPORTER_EORI, hs=["26"], quantity="500"
    )
    documents = [{"code": "9100", "reference": "GBOIL000002-0001", "status": "AC"}]
    declaration = lodge(
        importer, payload_with(item(1, "26121010", documents=documents)), django_capture_on_commit_callbacks
    )
    for user in (plant_officer, supervisor, importer):
        response = client_for(user).get(f"/api/v1/licences/{licence.pk}")
        assert response.status_code == 200
        history = response.json()["history"]
        assert [(h["kind"], h["mrn"], h["quantity_balance"]) for h in history][1] == (
            "decrement",
            declaration.mrn,
            "400.000000",
        )


def test_a_trader_sees_its_own_licences_only(importer, outsider, licensing):
    own = licence_for(licensing, code="9100", number="OWN-1", holder=IMPORTER_EORI, hs=[], quantity="1")
    other = licence_for(
        licensing, code="9100", number="OTHER-1", holder="GB999999999999", hs=[], quantity="1"
    )
    assert client_for(importer).get(f"/api/v1/licences/{other.pk}").status_code == 404
    listed = client_for(importer).get("/api/v1/licences").json()["results"]
    assert [row["number"] for row in listed] == ["OWN-1"]
    assert client_for(outsider).get(f"/api/v1/licences/{own.pk}").status_code == 404
    assert [row["number"] for row in client_for(outsider).get("/api/v1/licences").json()["results"]] == [
        "OTHER-1"
    ]


def test_the_list_filters_by_holder_and_number_in_a_constant_number_of_queries(
    licensing, plant_officer, django_assert_max_num_queries
):
    for n in range(3):
        licence_for(
            licensing, code="9100", number=f"GBOIL00000{n}-0001", holder=IMPORTER_EORI, hs=[], quantity="1"
        )
    licence_for(licensing, code="L001", number="GBCPI000004-0001", holder="GB025115100004", hs=[], value="5")
    client = client_for(plant_officer)
    response = client.get("/api/v1/licences", {"holder": IMPORTER_EORI, "number": "GBOIL"})
    assert [r["number"] for r in response.json()["results"]] == [f"GBOIL00000{n}-0001" for n in (2, 1, 0)]
    assert (
        client.get("/api/v1/licences", {"state": "valid", "agency": "import-licensing"}).json()["count"] == 4
    )
    with django_assert_max_num_queries(8) as few:
        client.get("/api/v1/licences")
    for n in range(5):
        licence_for(licensing, code="9100", number=f"MORE-{n}", holder=IMPORTER_EORI, hs=[], quantity="1")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/v1/licences")
