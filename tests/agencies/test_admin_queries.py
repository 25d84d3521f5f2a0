"""The admin's changelists of agencies' models cost a fixed number of queries, however many rows.

Signed in as the ``administrator`` persona (a superuser: no permission queries). Each test lists
one row, adds more (reviews claimed and decided by different officers, questions answered,
deliveries delivered and failed), and asserts the same exact count, so a ``list_display`` column
that reads a relation per row fails it. Filters and searches the administrators use are counted too.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from agencies.models import (
    Agency,
    AgencyReview,
    DeliveryStatus,
    InformationRequest,
    RoutingRule,
    WebhookDelivery,
)
from singlewindow import egress
from tests.factories import AgencyFactory, UserFactory

from .fixtures import ROSES, SHAVER_PARTS, TOMATOES, client_for, item, lodge, payload_with, review_of
from .test_list_queries import claim, decide

pytestmark = pytest.mark.django_db

ROW = '<th class="field-'  # the first cell of each result row


@pytest.fixture
def administrator(db: None) -> User:
    return UserFactory(username="administrator", role="admin", is_staff=True, is_superuser=True)


def changelist(client: Any, model: type, params: dict[str, str] | None = None) -> tuple[int, str]:
    """Queries of one changelist GET (after a first one warmed the per-process caches), and the page."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured), response.content.decode()


def get(client: Any, model: type, params: dict[str, str] | None = None) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response.content.decode()


# Every changelist: session, user, the verified device (two-step verification), the count of what
# it shows, the count of every row ("of N total"), the page of rows (with list_select_related), and
# what its related filters list.


@pytest.mark.parametrize(
    ("params", "queries"), [({}, 6), ({"is_active__exact": "1"}, 6), ({"q": "agency"}, 6)]
)
def test_agency_changelist_queries_do_not_grow_with_agencies(
    client, administrator, django_assert_num_queries, params, queries
):
    client.force_login(administrator)
    AgencyFactory(code="agency-1", name="Agency 1 Inspectorate")
    with_one, text = changelist(client, Agency, params)
    assert text.count(ROW) == 1
    for n in range(2, 8):
        agency = AgencyFactory(code=f"agency-{n}", name=f"Agency {n} Inspectorate", auto_decide=n % 2 == 0)
        RoutingRule.objects.create(agency=agency, name=f"Chapter {n:02d}", hs_prefix=f"{n:02d}")

    with django_assert_num_queries(with_one):
        text = get(client, Agency, params)

    assert with_one == queries
    assert text.count(ROW) == 7


# The two counts, the page of rules with their agencies, the agencies of the agency filter.
@pytest.mark.parametrize(
    ("params", "queries"), [({}, 7), ({"is_active__exact": "1"}, 7), ({"q": "chapter"}, 7)]
)
def test_routing_rule_changelist_queries_do_not_grow_with_rules(
    client, administrator, django_assert_num_queries, params, queries
):
    client.force_login(administrator)
    first = AgencyFactory(code="agency-1", name="Agency 1 Inspectorate")
    RoutingRule.objects.create(agency=first, name="Chapter 01", hs_prefix="01")
    with_one, text = changelist(client, RoutingRule, params)
    assert text.count(ROW) == 1
    for n in range(2, 8):
        agency = AgencyFactory(code=f"agency-{n}", name=f"Agency {n} Inspectorate")
        RoutingRule.objects.create(
            agency=agency, name=f"Chapter {n:02d}", hs_prefix=f"{n:02d}", required_documents=["N851"]
        )

    with django_assert_num_queries(with_one):
        text = get(client, RoutingRule, params)

    assert with_one == queries
    assert text.count(ROW) == 7


def lodge_mixed(importer: User, n: int, capture: Any) -> Any:
    """Roses, tomatoes and shaver parts: a plant health, a food safety and a standards review."""
    return lodge(
        importer,
        payload_with(item(1, ROSES), item(2, TOMATOES), item(3, SHAVER_PARTS), lrn=f"AQ-{n}"),
        capture,
    )


# The two counts, the page of reviews with declaration/agency/claimed_by, the agencies of the
# agency filter.
@pytest.mark.parametrize(
    ("params", "queries"), [({}, 7), ({"status__exact": "approved"}, 7), ({"q": "GB"}, 7)]
)
def test_agency_review_changelist_queries_do_not_grow_with_reviews(
    client,
    administrator,
    importer,
    plant_officer,
    food_officer,
    standards_officer,
    agencies,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    params,
    queries,
):
    capture = django_capture_on_commit_callbacks
    first = lodge(importer, payload_with(item(1, ROSES), lrn="AQ-1"), capture)
    claim(plant_officer, review_of(first, "plant-health"))
    decide(plant_officer, review_of(first, "plant-health"), "approved", capture)
    client.force_login(administrator)
    with_one, text = changelist(client, AgencyReview, params)
    assert text.count(ROW) == 1
    for n in range(2, 4):  # six more reviews: each officer claims and decides one of its agency's
        declaration = lodge_mixed(importer, n, capture)
        for officer, code in ((plant_officer, "plant-health"), (food_officer, "food-safety")):
            claim(officer, review_of(declaration, code))
            decide(officer, review_of(declaration, code), "approved", capture)
        claim(standards_officer, review_of(declaration, "standards"))
    expected = {"status__exact": 5}.get(next(iter(params), ""), 7)

    with django_assert_num_queries(with_one):
        text = get(client, AgencyReview, params)

    assert with_one == queries
    assert text.count(ROW) == expected
    assert "standards_officer" in text or "status__exact" in params


# The two counts, the page of questions with their reviews (agency, declaration) and askers.
@pytest.mark.parametrize(("params", "queries"), [({}, 6)])
def test_information_request_changelist_queries_do_not_grow_with_questions(
    client,
    administrator,
    importer,
    plant_officer,
    food_officer,
    standards_officer,
    agencies,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    params,
    queries,
):
    capture = django_capture_on_commit_callbacks

    def ask(declaration: Any, officer: User, code: str, *, answer: bool) -> None:
        review = review_of(declaration, code)
        claim(officer, review)
        decide(officer, review, "info_requested", capture, "Which farm grew them?")
        if answer:
            question = InformationRequest.objects.get(review=review, answered_at__isnull=True)
            with capture(execute=True):
                response = client_for(importer).post(
                    f"/api/v1/information-requests/{question.pk}/answer",
                    {"answer": "Farm 12"},
                    format="multipart",
                )
            assert response.status_code == 200, response.json()

    ask(
        lodge(importer, payload_with(item(1, ROSES), lrn="IQ-1"), capture),
        plant_officer,
        "plant-health",
        answer=True,
    )
    client.force_login(administrator)
    with_one, text = changelist(client, InformationRequest, params)
    assert text.count(ROW) == 1
    for n in range(2, 4):
        declaration = lodge_mixed(importer, n, capture)
        ask(declaration, plant_officer, "plant-health", answer=True)
        ask(declaration, food_officer, "food-safety", answer=n == 2)
        ask(declaration, standards_officer, "standards", answer=False)

    with django_assert_num_queries(with_one):
        text = get(client, InformationRequest, params)

    assert with_one == queries
    assert text.count(ROW) == 7


class Endpoint:
    """The agencies' own systems: plant health's answers 204, the others' are down (500)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, url: str, *, data: bytes, headers: dict[str, str], timeout: Any) -> Any:
        self.calls += 1
        return egress.Answer(status_code=204 if "plant" in url else 500, excerpt="")


# The two counts, the page of deliveries with agency and review, the agencies of the agency filter.
@pytest.mark.parametrize(("params", "queries"), [({}, 7), ({"status__exact": "failed"}, 7)])
def test_webhook_delivery_changelist_queries_do_not_grow_with_deliveries(
    client,
    administrator,
    importer,
    agencies,
    monkeypatch,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    params,
    queries,
):
    capture = django_capture_on_commit_callbacks
    endpoint = Endpoint()
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    for code in ("plant-health", "food-safety", "standards"):
        agency = agencies[code]
        agency.webhook_url = f"https://{code}.example.test/single-window"
        agency.webhook_secret = f"secret-of-{code}"
        agency.save()
    lodge(importer, payload_with(item(1, TOMATOES), lrn="WQ-1"), capture)  # food safety: down
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED
    client.force_login(administrator)
    with_one, text = changelist(client, WebhookDelivery, params)
    assert text.count(ROW) == 1
    for n in range(2, 4):
        lodge_mixed(importer, n, capture)
    assert WebhookDelivery.objects.count() == 7 and endpoint.calls == 7
    expected = 5 if params else 7  # two of the six new ones were delivered

    with django_assert_num_queries(with_one):
        text = get(client, WebhookDelivery, params)

    assert with_one == queries
    assert text.count(ROW) == expected
