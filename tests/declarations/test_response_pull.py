"""The pull of DMS responses (GET /api/v1/notifications/dms): a cursor over what the caller may
see, one response as XML, never another account's; a fixed number of queries whatever the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from declarations.models import Declaration, DeclarationResponse
from tests.agencies.fixtures import client_for
from tests.factories import UserFactory

from .payloads import import_payload

pytestmark = pytest.mark.django_db

PULL = "/api/v1/notifications/dms"


@pytest.fixture(autouse=True)
def settled_at_once(settings) -> None:
    settings.SW_RESPONSE_PULL_SETTLE_SECONDS = 0


def lodged(user, lrn: str) -> Declaration:
    answer = client_for(user).post("/api/v1/declarations", import_payload(lrn=lrn), format="json")
    assert answer.status_code == 201, answer.json()
    return Declaration.objects.get(mrn=answer.json()["mrn"])


def rejected(user, lrn: str) -> int:
    payload = import_payload(lrn=lrn)
    payload["items"][0]["net_mass"] = None
    answer = client_for(user).post("/api/v1/declarations", payload, format="json")
    assert answer.status_code == 400
    return answer.json()["response"]["id"]


def test_a_trader_pulls_what_it_has_not_seen_with_a_cursor(importer):
    first = lodged(importer, "PULL-1")
    page = client_for(importer).get(PULL).json()
    assert [r["mrn"] for r in page["results"]] == [first.mrn]
    row = page["results"][0]
    assert row["function_code"] == "01" and row["kind"] == "accepted"
    assert row["xml"].startswith("<?xml") and first.mrn in row["xml"]
    assert page["more"] is False
    cursor = page["after"]
    assert client_for(importer).get(PULL, {"after": cursor}).json()["results"] == []
    second = lodged(importer, "PULL-2")
    rejection = rejected(importer, "PULL-3")
    later = client_for(importer).get(PULL, {"after": cursor}).json()
    assert [(r["mrn"], r["lrn"]) for r in later["results"]] == [(second.mrn, "PULL-2"), ("", "PULL-3")]
    assert later["results"][1]["id"] == rejection


def test_the_cursor_pages_through_with_a_limit(importer):
    for n in range(3):
        lodged(importer, f"PULL-PAGE-{n}")
    first = client_for(importer).get(PULL, {"limit": 2}).json()
    assert len(first["results"]) == 2 and first["more"] is True
    rest = client_for(importer).get(PULL, {"limit": 2, "after": first["after"]}).json()
    assert len(rest["results"]) == 1 and rest["more"] is False


def test_responses_not_yet_settled_wait_for_the_next_pull(importer, settings):
    """A response committed a moment after one with a higher id must not be jumped by the cursor."""
    lodged(importer, "PULL-SETTLE")
    settings.SW_RESPONSE_PULL_SETTLE_SECONDS = 60
    assert client_for(importer).get(PULL).json()["results"] == []
    DeclarationResponse.objects.update(
        issued_at=DeclarationResponse.objects.get().issued_at - timedelta(minutes=2)
    )
    assert len(client_for(importer).get(PULL).json()["results"]) == 1


def test_one_response_downloads_as_xml(importer):
    declaration = lodged(importer, "PULL-XML")
    response = DeclarationResponse.objects.get(declaration=declaration)
    answer = client_for(importer).get(f"{PULL}/{response.pk}")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/xml"
    assert answer.content == response.body.encode()


def test_a_trader_never_pulls_another_accounts_responses(importer, outsider, exporter):
    declaration = lodged(importer, "PULL-MINE")
    rejection = rejected(importer, "PULL-MINE-REJ")
    response = DeclarationResponse.objects.get(declaration=declaration)
    for other in (outsider, exporter):
        assert client_for(other).get(PULL).json()["results"] == []
        assert client_for(other).get(f"{PULL}/{response.pk}").status_code == 404
        assert client_for(other).get(f"{PULL}/{rejection}").status_code == 404
        assert client_for(other).get(PULL, {"mrn": declaration.mrn}).json()["results"] == []
        assert client_for(other).get(f"/api/v1/declarations/{declaration.mrn}/responses").status_code == 404


def test_an_agency_officer_pulls_no_traders_responses(importer):
    lodged(importer, "PULL-OFFICER")
    officer = UserFactory(username="some_officer", role="officer")
    assert client_for(officer).get(PULL).json()["results"] == []


def test_a_rejection_sent_for_an_account_the_sender_may_not_act_for_stays_the_senders(importer, outsider):
    """An outsider naming the importer as declarant is rejected; the importer's feed is not filled."""
    payload = import_payload(lrn="PULL-FORGED")
    answer = client_for(outsider).post("/api/v1/declarations", payload, format="json")
    assert answer.status_code == 400
    kept = DeclarationResponse.objects.get(pk=answer.json()["response"]["id"])
    assert kept.declarant_account is None and kept.lodged_by == outsider
    assert client_for(importer).get(PULL).json()["results"] == []
    assert [r["lrn"] for r in client_for(outsider).get(PULL).json()["results"]] == ["PULL-FORGED"]


def test_a_members_colleague_sees_the_accounts_rejections(importer, importer_account):
    from accounts.access import account_add_member

    rejected(importer, "PULL-TEAM")
    colleague = UserFactory(username="colleague", role="trader")
    account_add_member(account=importer_account, user=colleague)
    assert [r["lrn"] for r in client_for(colleague).get(PULL).json()["results"]] == ["PULL-TEAM"]


@pytest.mark.parametrize(
    "params", [{"after": "x"}, {"after": "-1"}, {"limit": "0"}, {"limit": "201"}, {"mrn": "a\x00b"}]
)
def test_bad_parameters_are_a_400_naming_them(importer, params):
    answer = client_for(importer).get(PULL, params)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["pointer"] in params


def test_the_pull_costs_the_same_queries_for_one_response_or_twenty(importer):
    lodged(importer, "PULL-Q-0")
    client = client_for(importer)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(PULL).json()["results"]) == 1
    for n in range(1, 20):
        lodged(importer, f"PULL-Q-{n}")
    with CaptureQueriesContext(connection) as twenty:
        assert len(client.get(PULL).json()["results"]) == 20
    assert len(twenty.captured_queries) == len(one.captured_queries)
    # the user's role, then the page (visibility is subqueries of that one statement)
    assert len(one.captured_queries) <= 3, [q["sql"] for q in one.captured_queries]


def test_the_portal_notifications_are_unchanged(importer):
    """Existing clients of GET /api/v1/notifications keep their answer (a page of notifications)."""
    lodged(importer, "PULL-OLD")
    answer = client_for(importer).get("/api/v1/notifications")
    assert answer.status_code == 200
    assert "results" in answer.json() and "xml" not in str(answer.json())


def test_a_declarations_responses_are_listed_for_it(importer):
    declaration = lodged(importer, "PULL-DECL")
    rows = client_for(importer).get(f"/api/v1/declarations/{declaration.mrn}/responses").json()
    assert [r["function_code"] for r in rows] == ["01"]
    assert "xml" not in rows[0]
