"""The officer's queue page and the review API cost a fixed number of queries, however many reviews.

Each test measures a page or an answer with one row, adds six more (each with more goods items,
claimed by different officers, decided, asked about), and asserts the same exact count: an N+1
anywhere in the selector, the template or the serializer makes it fail. Declarations are lodged
through the API and routed by the real pipeline; the plant health inspectorate (24-hour service
level, see ``tests/agencies/fixtures``) reviews roses, so a declaration lodged 30 hours ago has
an overdue review that has waited more than a day.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from agencies.models import AgencyReview
from declarations.models import Declaration
from tests.conftest import IMPORTER_EORI

from .fixtures import ROSES, client_for, item, lodge, payload_with, review_of

pytestmark = pytest.mark.django_db

LATE = timedelta(hours=30)  # past plant health's 24 hours: overdue, and "waiting 1 day or more"
REVIEW_LINK = 'href="/agencies/reviews/'


def lodge_roses(importer: Any, n: int, capture: Any, *, ago: timedelta = LATE) -> Declaration:
    """Declaration ``n`` with ``n`` rose items (no certificate: plant health decides), lodged ``ago``."""
    with time_machine.travel(timezone.now() - ago):
        return lodge(
            importer, payload_with(*(item(k, ROSES) for k in range(1, n + 1)), lrn=f"LQ-{n}"), capture
        )


def claim(officer: Any, review: AgencyReview) -> None:
    assert client_for(officer).post(f"/api/v1/reviews/{review.pk}/claim").status_code == 200


def decide(officer: Any, review: AgencyReview, outcome: str, capture: Any, reason: str = "") -> None:
    with capture(execute=True):
        response = client_for(officer).post(
            f"/api/v1/reviews/{review.pk}/decision", {"outcome": outcome, "reason": reason}, format="json"
        )
    assert response.status_code == 200, response.json()


def put_in(state: str, review: AgencyReview, n: int, officers: list[Any], capture: Any) -> None:
    """Move a plant health review to ``state``; claimed ones alternate between the two officers."""
    officer = officers[n % 2]
    if state == "pending":
        return
    claim(officer, review)
    if state == "info_requested":
        decide(officer, review, "info_requested", capture, f"Which greenhouse grew lot {n}?")
    elif state == "approved":
        decide(officer, review, "approved", capture)
    elif state == "rejected":
        decide(officer, review, "rejected", capture, "No phytosanitary certificate")


def queries(client: Any, url: str, params: dict[str, Any]) -> tuple[int, Any]:
    """How many queries one GET runs, after a first GET has warmed the per-process caches."""
    client.get(url, params)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured), response


# --- the queue page --------------------------------------------------------------------------------

# session, user, the verified device (two-step verification), the user's groups (its role), its
# agency ids, the page count, the four capped tab counts (one query), its agencies (the caption), the
# header's trader accounts and unread notifications, the page of reviews with
# declaration/trader/claimed_by/decided_by, their items.
QUEUE_PAGE_QUERIES = 12

OVERDUE_STATES = ["pending", "in_review", "info_requested"]


def test_overdue_queue_queries_do_not_grow_with_reviews(
    client, importer, plant_officer, plant_officer_2, agencies, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    officers = [plant_officer, plant_officer_2]
    url = reverse("agencies:queue")
    client.force_login(plant_officer)

    def add(n: int) -> None:
        declaration = lodge_roses(importer, n, capture)
        put_in(OVERDUE_STATES[n % 3], review_of(declaration, "plant-health"), n, officers, capture)

    add(1)
    with_one, response = queries(client, url, {"tab": "overdue"})
    assert response.content.decode().count(REVIEW_LINK) == 1
    for n in range(2, 8):
        add(n)
    lodge_roses(importer, 8, capture, ago=timedelta(0))  # on time: not on the overdue tab

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"tab": "overdue"})

    assert len(captured) == with_one == QUEUE_PAGE_QUERIES
    text = response.content.decode()
    assert text.count(REVIEW_LINK) == 7
    assert text.count("row--overdue") == 7
    assert (
        '<td data-label="Claimed by">plant_officer_2</td>' in text
        and '<td data-label="Claimed by">You</td>' in text
    )  # claimed by the other, by me


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mrn", "{first_mrn}"),
        ("trader", "clippers"),  # part of the name
        ("trader", IMPORTER_EORI),  # the EORI
        ("hs_prefix", "0603"),
        ("age", "24"),
    ],
)
@pytest.mark.parametrize("tab", ["pending", "overdue"])
def test_filtered_queue_queries_do_not_grow_with_reviews(
    client,
    importer,
    plant_officer,
    plant_officer_2,
    agencies,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    tab,
    field,
    value,
):
    capture = django_capture_on_commit_callbacks
    officers = [plant_officer, plant_officer_2]
    states = ["pending"] if tab == "pending" else OVERDUE_STATES

    def add(n: int) -> Declaration:
        declaration = lodge_roses(importer, n, capture)
        put_in(states[n % len(states)], review_of(declaration, "plant-health"), n, officers, capture)
        return declaration

    first = add(1)
    client.force_login(plant_officer)
    url = reverse("agencies:queue")
    params = {"tab": tab, field: value.format(first_mrn=first.mrn)}
    with_one, response = queries(client, url, params)
    assert response.content.decode().count(REVIEW_LINK) == 1
    for n in range(2, 8):
        add(n)

    with django_assert_num_queries(with_one):
        response = client.get(url, params)

    assert with_one == QUEUE_PAGE_QUERIES
    shown = response.content.decode().count(REVIEW_LINK)
    assert shown == (1 if field == "mrn" else 7)


def test_queue_with_every_filter_at_once_runs_the_same_queries(
    client, importer, plant_officer, agencies, django_capture_on_commit_callbacks, django_assert_num_queries
):
    capture = django_capture_on_commit_callbacks
    for n in range(1, 8):
        lodge_roses(importer, n, capture)
    client.force_login(plant_officer)
    params = {"tab": "overdue", "trader": IMPORTER_EORI, "hs_prefix": "060311", "age": "24"}
    client.get(reverse("agencies:queue"), params)

    with django_assert_num_queries(QUEUE_PAGE_QUERIES):
        response = client.get(reverse("agencies:queue"), params)

    assert response.content.decode().count(REVIEW_LINK) == 7


# --- the review API --------------------------------------------------------------------------------

# token with its user, the user's groups (its role), its agency ids (the queue filters on them as
# literals), the count, the page of reviews with declaration/trader/agency/claimed_by, their items.
REVIEW_LIST_QUERIES = 6


def token_client(user: Any) -> APIClient:
    """As an agency's system calls the API: a token, so every request loads its user afresh."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user, name='test')[1]}")
    return client


REVIEW_LIST_CASES = [
    ({"view": "pending"}, ["pending"]),
    ({"view": "mine"}, ["in_review", "info_requested"]),
    ({"view": "overdue"}, OVERDUE_STATES),
    ({"view": "decided"}, ["approved", "rejected"]),
    ({"view": "all"}, ["pending", "in_review", "approved", "rejected"]),
    ({}, ["pending", "approved"]),  # the default is every review
    ({"status": "info_requested"}, ["info_requested"]),
    ({"view": "all", "status": "approved"}, ["approved"]),
    ({"view": "pending", "trader": IMPORTER_EORI, "hs": "0603", "min_age_hours": "24"}, ["pending"]),
]


@pytest.mark.parametrize(
    ("params", "states"),
    REVIEW_LIST_CASES,
    ids=["&".join(f"{k}={v}" for k, v in params.items()) or "default" for params, _ in REVIEW_LIST_CASES],
)
def test_review_list_queries_do_not_grow_with_reviews_on_each_tab(
    importer,
    plant_officer,
    plant_officer_2,
    agencies,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    params,
    states,
):
    capture = django_capture_on_commit_callbacks
    # "mine" is the first officer's: the reviews it holds are the ones shown.
    officers = (
        [plant_officer, plant_officer] if params.get("view") == "mine" else [plant_officer, plant_officer_2]
    )

    def add(n: int) -> None:
        declaration = lodge_roses(importer, n, capture)
        put_in(states[n % len(states)], review_of(declaration, "plant-health"), n, officers, capture)

    add(1)
    client = token_client(plant_officer)
    client.get("/api/v1/reviews", params)  # warm the content-type cache
    with django_assert_num_queries(REVIEW_LIST_QUERIES):
        assert client.get("/api/v1/reviews", params).json()["count"] == 1
    for n in range(2, 8):
        add(n)

    with django_assert_num_queries(REVIEW_LIST_QUERIES):
        body = client.get("/api/v1/reviews", params).json()

    assert body["count"] == 7
    assert {row["status"] for row in body["results"]} == set(states)
    assert sum(len(row["items"]) for row in body["results"]) == sum(range(1, 8))
