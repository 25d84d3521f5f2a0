"""The help desk API for traders' software: open, list, read; the same 404 for what is not yours."""

from __future__ import annotations

import pytest

from support import services
from support.models import Category, ServiceRequest
from tests.agencies.fixtures import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/service-requests"


def test_trader_opens_a_request_about_its_declaration_and_reads_it_back(importer, declaration):
    response = client_for(importer).post(
        URL,
        {
            "category": "declaration",
            "subject": "Why in review?",
            "body": "Two days already.",
            "trader_account": "gb553202734852",
            "declaration": declaration.mrn,
            "page": "https://evil.example/",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("SR-") and body["status"] == "open"
    assert (body["trader_account"], body["declaration"], body["page"]) == (
        "GB553202734852",
        declaration.mrn,
        "",
    )
    assert body["answered_within_service_level"] is None
    assert body["messages"] == [
        {
            "from_help_desk": False,
            "author": "importer",
            "body": "Two days already.",
            "created_at": body["created_at"],
        }
    ]
    assert client_for(importer).get(f"{URL}/{body['reference']}").status_code == 200


def test_declaration_or_account_not_yours_is_404_and_nothing_is_opened(
    outsider, importer_account, declaration
):
    client = client_for(outsider)
    base = {"category": "other", "subject": "x", "body": "y"}
    assert client.post(URL, {**base, "declaration": declaration.mrn}, format="json").status_code == 404
    assert (
        client.post(URL, {**base, "trader_account": importer_account.eori}, format="json").status_code == 404
    )
    assert not ServiceRequest.objects.exists()


def test_an_unknown_category_is_a_400_naming_the_field(importer):
    response = client_for(importer).post(
        URL, {"category": "gossip", "subject": "x", "body": "y"}, format="json"
    )
    assert response.status_code == 400
    assert "category" in str(response.json())


def test_another_traders_request_is_404_and_absent_from_the_list(importer, importer_account, outsider):
    asked = services.service_request_open(
        user=importer, category=Category.PAYMENT, subject="s", body="b", trader_account=importer_account
    )
    client = client_for(outsider)
    assert client.get(f"{URL}/{asked.reference}").status_code == 404
    assert client.get(URL).json()["count"] == 0


def test_internal_notes_and_staff_names_never_reach_the_api(importer, supervisor):
    asked = services.service_request_open(user=importer, category=Category.TECHNICAL, subject="s", body="b")
    services.service_request_note(request=asked, staff=supervisor, body="SECRET-NOTE")
    services.service_request_answer(request=asked, staff=supervisor, body="Answer")
    body = client_for(importer).get(f"{URL}/{asked.reference}").json()
    assert [m["body"] for m in body["messages"]] == ["b", "Answer"]
    assert body["messages"][1] == {
        "from_help_desk": True,
        "author": None,
        "body": "Answer",
        "created_at": body["messages"][1]["created_at"],
    }
    assert body["answered_within_service_level"] is True
    assert "supervisor" not in str(body)


def test_list_query_count_does_not_grow_with_requests(
    importer, importer_account, django_assert_max_num_queries
):
    for n in range(20):
        services.service_request_open(
            user=importer, category=Category.OTHER, subject=f"s{n}", body="b", trader_account=importer_account
        )
    client = client_for(importer)
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert response.json()["count"] == 20


def test_api_refuses_a_declaration_filed_under_another_clients_account(broker, exporter_account):
    from tests.support.conftest import lodge

    declaration = lodge(broker, "HELP-API-BROKER")
    client = client_for(broker)
    base = {"category": "declaration", "subject": "x", "body": "y", "declaration": declaration.mrn}
    other = client.post(URL, {**base, "trader_account": exporter_account.eori}, format="json")
    assert other.status_code == 400 and other.json()["errors"][0]["pointer"] == "trader_account"
    assert client.post(URL, base, format="json").status_code == 400  # under no account
    assert not ServiceRequest.objects.exists()
    ok = client.post(URL, {**base, "trader_account": declaration.trader_account.eori}, format="json")
    assert ok.status_code == 201
