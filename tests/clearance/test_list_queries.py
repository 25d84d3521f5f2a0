"""Clearance's lists cost a fixed number of queries, however many rows they show.

The supervisor's overview (filtered to what needs a person) and declaration page, the agencies'
panel on the trader's declaration page, the notifications on a trader's home page and in the API,
and the declaration API for a routed declaration. Each test measures a small case, grows the rows
(more declarations, reviews decided by different officers, questions with attachments, timeline
events, notifications), and asserts the same exact count: an N+1 makes it fail. Declarations go
through the real pipeline: lodged through the API, routed, decided by officers through the API.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from agencies.models import InformationRequest
from clearance.models import Notification
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus

from ..agencies.fixtures import (
    ROSES,
    SHAVER_PARTS,
    TOMATOES,
    agency_auto_decide,
    client_for,
    item,
    lodge,
    payload_with,
    review_of,
)
from ..agencies.test_list_queries import claim, decide, queries, token_client

pytestmark = pytest.mark.django_db

N851 = [{"code": "N851", "reference": "PHYTO-1", "status": "AE"}]
LATE = timedelta(hours=30)  # past the 24 hours of plant health and food safety: overdue


def ask_and_answer(officer: User, trader: User, review: Any, capture: Any, *, answer: bool = True) -> None:
    """The officer claims the review and asks; the trader answers with a file (unless ``answer=False``)."""
    if review.claimed_by_id is None:
        claim(officer, review)
    decide(officer, review, "info_requested", capture, "Send the phytosanitary certificate")
    if not answer:
        return
    question = InformationRequest.objects.get(review=review, answered_at__isnull=True)
    upload = SimpleUploadedFile(
        "certificate.txt", b"Phytosanitary certificate 123", content_type="text/plain"
    )
    with capture(execute=True):
        response = client_for(trader).post(
            f"/api/v1/information-requests/{question.pk}/answer",
            {"answer": "Attached", "files": [upload]},
            format="multipart",
        )
    assert response.status_code == 200, response.json()


def with_history(
    importer: User, officers: dict[str, User], capture: Any, *, lrn: str, big: bool
) -> Declaration:
    """A routed declaration with reviews, an answered question, and a timeline.

    Small: roses only; plant health asked a question and the trader answered it with a file.
    Big: two items for each of plant health, food safety and standards (three reviews); plant health
    asked, got its answer with a file and asked again (open); food safety approved and standards
    rejected, each by its own officer.
    """
    if not big:
        declaration = lodge(importer, payload_with(item(1, ROSES), lrn=lrn), capture)
        ask_and_answer(officers["plant"], importer, review_of(declaration, "plant-health"), capture)
        return declaration
    goods = [ROSES, ROSES, TOMATOES, TOMATOES, SHAVER_PARTS, SHAVER_PARTS]
    declaration = lodge(
        importer, payload_with(*(item(n, c) for n, c in enumerate(goods, start=1)), lrn=lrn), capture
    )
    plant = review_of(declaration, "plant-health")
    ask_and_answer(officers["plant"], importer, plant, capture)
    ask_and_answer(officers["plant"], importer, review_of(declaration, "plant-health"), capture, answer=False)
    food = review_of(declaration, "food-safety")
    claim(officers["food"], food)
    decide(officers["food"], food, "approved", capture)
    standards = review_of(declaration, "standards")
    claim(officers["standards"], standards)
    decide(officers["standards"], standards, "rejected", capture, "No CE marking on the shaver parts")
    assert declaration.reviews.count() == 3
    return declaration


@pytest.fixture
def officers(plant_officer, food_officer, standards_officer, customs_officer) -> dict[str, User]:
    return {
        "plant": plant_officer,
        "food": food_officer,
        "standards": standards_officer,
        "customs": customs_officer,
    }


# --- supervisor overview: what needs a person ------------------------------------------------------

# session, user, the verified device (two-step verification), the user's groups (its role), the
# header's trader accounts and unread notifications, the page count, the page of declarations with
# trader and release decision, their reviews with agencies.
OVERVIEW_QUERIES = 9


def test_needs_human_overview_queries_do_not_grow_with_declarations(
    client, importer, supervisor, officers, django_capture_on_commit_callbacks, django_assert_num_queries
):
    capture = django_capture_on_commit_callbacks
    url = reverse("clearance:overview")
    params = {"needs_human": "on"}

    def add(n: int) -> Declaration:
        """Overdue, an inspection required, or refused: three reasons a person must look."""
        kind = n % 3
        if kind == 0:
            with time_machine.travel(timezone.now() - LATE):
                return lodge(
                    importer, payload_with(item(1, ROSES), item(2, TOMATOES), lrn=f"NH-{n}"), capture
                )
        if kind == 1:
            declaration = lodge(
                importer, payload_with(item(1, ROSES), item(2, SHAVER_PARTS), lrn=f"NH-{n}"), capture
            )
            review = review_of(declaration, "plant-health")
            claim(officers["plant"], review)
            decide(officers["plant"], review, "inspection_required", capture)
            return declaration
        declaration = lodge(importer, payload_with(item(1, TOMATOES), lrn=f"NH-{n}"), capture)
        review = review_of(declaration, "food-safety")
        claim(officers["food"], review)
        decide(officers["food"], review, "rejected", capture, "Residues above the limit")
        declaration.refresh_from_db()
        assert declaration.status == DeclarationStatus.REFUSED
        return declaration

    add(1)
    waiting = lodge(importer, payload_with(item(1, ROSES), lrn="NH-WAIT"), capture)  # on time: not shown
    client.force_login(supervisor)
    with_one, response = queries(client, url, params)
    assert response.content.decode().count('href="/clearance/declarations/') == 1
    for n in range(2, 8):
        add(n)

    with django_assert_num_queries(with_one):
        response = client.get(url, params)

    assert with_one == OVERVIEW_QUERIES
    text = response.content.decode()
    assert text.count('href="/clearance/declarations/') == 7
    assert waiting.mrn not in text


def test_overview_with_every_filter_runs_the_same_queries(
    client, importer, supervisor, agencies, django_capture_on_commit_callbacks, django_assert_num_queries
):
    capture = django_capture_on_commit_callbacks
    for n in range(1, 8):
        with time_machine.travel(timezone.now() - LATE):
            lodge(importer, payload_with(item(1, ROSES), item(2, TOMATOES), lrn=f"NF-{n}"), capture)
    client.force_login(supervisor)
    params = {"needs_human": "on", "status": "in_review", "trader": "clippers"}
    client.get(reverse("clearance:overview"), params)

    with django_assert_num_queries(OVERVIEW_QUERIES):
        response = client.get(reverse("clearance:overview"), params)

    assert response.content.decode().count('href="/clearance/declarations/') == 7


# --- the supervisor's declaration page -------------------------------------------------------------


def test_supervisor_declaration_page_queries_do_not_grow_with_reviews_items_and_questions(
    client, importer, supervisor, officers, django_capture_on_commit_callbacks, django_assert_num_queries
):
    capture = django_capture_on_commit_callbacks
    small = with_history(importer, officers, capture, lrn="SD-1", big=False)
    big = with_history(importer, officers, capture, lrn="SD-2", big=True)
    client.force_login(supervisor)
    with_one, _ = queries(client, reverse("clearance:declaration", args=[small.mrn]), {})

    with django_assert_num_queries(with_one):
        response = client.get(reverse("clearance:declaration", args=[big.mrn]))

    text = response.content.decode()
    assert text.count('href="/agencies/reviews/') == 3
    assert "No CE marking on the shaver parts" in text
    assert text.count("certificate.txt") == 1 and "Waiting for the trader" in text


# --- the trader's declaration page: the agencies' panel ---------------------------------------------

# session, user, the user's groups (its role), the declaration (access), the declaration with its
# accounts and release decision, its parties, items, the items' tax lines (the trader's own duty
# calculation, read with the items wherever they are: one query), documents, reviews with
# agencies, the timeline with actors, the agencies' questions with agency and users, their
# attachments, the header's trader accounts, the declaration's DMS responses; the request after
# release waiting, if any, the accounts the user may act for (whether it may amend or cancel), the
# versions with their authors; while under review, the money condition of release (one query:
# nothing owed); the assessment panel's current assessment of the duties and its lines (routing
# assesses every declaration); the money box's money condition and payments (payments.panels: two);
# the ids of the payments on the declaration, for the timeline (payments.timeline); the controls
# condition of release (its lane, its controls: two) and the inspections the trader must attend (one).
# Customs' risk panel (clearance.risk.panels): the declaration's risk assessment, one more. The
# post-clearance audit panel, the help desk's requests about the declaration, and the header's unread
# notifications (portal_identity): one each.
TRADER_DECLARATION_PAGE_QUERIES = 31


def test_trader_declaration_page_queries_do_not_grow_with_reviews_and_questions(
    client, importer, officers, django_capture_on_commit_callbacks, django_assert_num_queries
):
    capture = django_capture_on_commit_callbacks
    small = with_history(importer, officers, capture, lrn="TD-1", big=False)
    big = with_history(importer, officers, capture, lrn="TD-2", big=True)
    client.force_login(importer)
    with_one, _ = queries(client, reverse("declarations:detail", args=[small.mrn]), {})

    with django_assert_num_queries(with_one):
        response = client.get(reverse("declarations:detail", args=[big.mrn]))

    assert with_one == TRADER_DECLARATION_PAGE_QUERIES

    text = response.content.decode()
    for agency in ("Plant Health Inspectorate", "Food Safety Authority", "Bureau of Standards"):
        assert agency in text
    assert "No CE marking on the shaver parts" in text
    assert "certificate.txt" in text and 'id="request-' in text  # answered, and open with its form


# --- the declaration API for a routed declaration -----------------------------------------------

# token with its user, the user's groups (its role), the declaration (access), the declaration with
# its accounts and release decision, its parties, items, the items' tax lines (in the content
# returned), documents, reviews with agencies, the
# timeline with actors, its versions with their authors, the money condition (one query: nothing
# owed) and its payments (one), the current assessment and its lines (two). An officer's partial
# view reads its agency ids once and narrows in SQL; an officer gets no money condition and no
# payments (the trader's money is not an agency's business): two fewer; the ids of the payments on
# the declaration for the timeline (not for an officer): one more, three fewer for an officer.
# The risk section (clearance.risk.selectors.risk_section): the risk assessment, one more; an
# officer's also asks whether it is customs' (the routing cache's stamp for the customs agency and
# the officer's groups): three more.
DECLARATION_API_QUERIES = 17
OFFICER_DECLARATION_API_QUERIES = 16


@pytest.mark.parametrize("persona", ["importer", "supervisor", "plant_officer"])
def test_declaration_api_queries_do_not_grow_with_reviews_and_timeline(
    importer, supervisor, officers, django_capture_on_commit_callbacks, django_assert_num_queries, persona
):
    capture = django_capture_on_commit_callbacks
    small = with_history(importer, officers, capture, lrn="DA-1", big=False)
    big = with_history(importer, officers, capture, lrn="DA-2", big=True)
    user = {"importer": importer, "supervisor": supervisor, "plant_officer": officers["plant"]}[persona]
    client = token_client(user)
    client.get(f"/api/v1/declarations/{small.mrn}")  # warm the per-process caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/api/v1/declarations/{small.mrn}").status_code == 200
    with_one = len(captured)

    with django_assert_num_queries(with_one):
        body = client.get(f"/api/v1/declarations/{big.mrn}").json()

    assert with_one == (
        OFFICER_DECLARATION_API_QUERIES if persona == "plant_officer" else DECLARATION_API_QUERIES
    )

    reviews = {review["agency"]: review["status"] for review in body["reviews"]}
    if persona == "plant_officer":  # its own agency's part only
        assert reviews == {"plant-health": "info_requested"}
    else:
        assert reviews == {
            "plant-health": "info_requested",
            "food-safety": "approved",
            "standards": "rejected",
        }
    assert len(body["timeline"]) > 8


# --- notifications: the trader's home page and the API ---------------------------------------------


def lodge_released(importer: User, n: int, capture: Any) -> Declaration:
    """Roses: plant health decides automatically, the system releases, the trader is notified."""
    agency_auto_decide("plant-health")
    declaration = lodge(importer, payload_with(item(1, ROSES, documents=N851), lrn=f"NT-{n}"), capture)
    agency_auto_decide("plant-health", False)
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.RELEASED
    return declaration


def lodge_questioned(importer: User, officer: User, n: int, capture: Any) -> Declaration:
    """Roses without a certificate: plant health asks, the trader is notified."""
    declaration = lodge(importer, payload_with(item(1, ROSES), lrn=f"NQ-{n}"), capture)
    ask_and_answer(officer, importer, review_of(declaration, "plant-health"), capture, answer=False)
    return declaration


# session, user, the user's accounts (member, then actable), the user's groups (its role), recent
# declarations, drafts, the header's trader accounts, the unread notifications with their
# declarations, and marking them read: one update (in a savepoint, as the test runs in a transaction);
# the header's unread count, after the update.
HOME_WITH_NOTIFICATIONS_QUERIES = 13


def test_home_queries_do_not_grow_with_unread_notifications(
    client, importer, plant_officer, agencies, django_capture_on_commit_callbacks, django_assert_num_queries
):
    capture = django_capture_on_commit_callbacks
    client.force_login(importer)
    client.get(reverse("home"))  # warm the per-process caches (nothing to mark read yet)
    lodge_released(importer, 1, capture)
    assert Notification.objects.filter(user=importer, read_at__isnull=True).count() == 1
    with CaptureQueriesContext(connection) as first:
        assert "1 new message" in client.get(reverse("home")).content.decode()
    with_one = len(first)  # now: the next request (a lodgement's) clears the connection's query log
    for n in range(2, 5):
        lodge_released(importer, n, capture)
        lodge_questioned(importer, plant_officer, n, capture)
    unread = Notification.objects.filter(user=importer, read_at__isnull=True).count()
    assert unread == 6

    with django_assert_num_queries(with_one):
        text = client.get(reverse("home")).content.decode()

    assert with_one == HOME_WITH_NOTIFICATIONS_QUERIES

    assert "6 new messages" in text
    assert not Notification.objects.filter(user=importer, read_at__isnull=True).exists()  # shown: read


# token with its user, the count, the page of notifications with their declarations.
NOTIFICATION_LIST_QUERIES = 3


@pytest.mark.parametrize("unread", [False, True])
def test_notification_list_queries_do_not_grow_with_notifications(
    importer, plant_officer, agencies, django_capture_on_commit_callbacks, django_assert_num_queries, unread
):
    capture = django_capture_on_commit_callbacks
    params = {"unread": "1"} if unread else {}
    lodge_released(importer, 1, capture)
    client = token_client(importer)
    client.get("/api/v1/notifications", params)  # warm the per-process caches
    with django_assert_num_queries(NOTIFICATION_LIST_QUERIES):
        assert client.get("/api/v1/notifications", params).json()["count"] == 1
    for n in range(2, 5):
        lodge_released(importer, n, capture)
        lodge_questioned(importer, plant_officer, n, capture)
    Notification.objects.create(user=importer, kind="released", message="Without a declaration")

    with django_assert_num_queries(NOTIFICATION_LIST_QUERIES):
        body = client.get("/api/v1/notifications", params).json()

    assert body["count"] == 8
    assert {row["kind"] for row in body["results"]} == {"released", "info_requested"}
    assert sum(row["mrn"] is not None for row in body["results"]) == 7
