"""The supervisor's pages, the trader's view of the agencies and the release, notifications, navigation.

Declarations are lodged through the API and routed by the real pipeline (after-commit callbacks
run eagerly); officers decide through the pages. Fixtures: ``tests/agencies/fixtures``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import AgencyReview
from clearance.models import Notification, Outcome, ReleaseDecision
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus
from singlewindow.models import AuditEvent

from ..agencies.fixtures import ROSES, SHAVER_PARTS, TOMATOES, agency_auto_decide, item, lodge, payload_with
from ..agencies.test_views import claim, decide, lodge_flowers_and_shavers, page, review_of
from ..conftest import IMPORTER_EORI
from ..factories import UserFactory

pytestmark = pytest.mark.django_db

N851 = [{"code": "N851", "reference": "PHYTO-1", "status": "AE"}]


@pytest.fixture
def flowers_and_shavers(importer, agencies, django_capture_on_commit_callbacks) -> Declaration:
    """In review: plant health and standards each wait for an officer."""
    return lodge_flowers_and_shavers(importer, django_capture_on_commit_callbacks)


@pytest.fixture
def released(importer, agencies, django_capture_on_commit_callbacks) -> Declaration:
    """Roses: plant health decides automatically (its standing policy), the system releases."""
    agency_auto_decide("plant-health")
    declaration = lodge(
        importer,
        payload_with(item(1, ROSES, documents=N851), lrn="REL-1"),
        django_capture_on_commit_callbacks,
    )
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.RELEASED
    return declaration


# --- supervisor overview ------------------------------------------------------------------------


def test_overview_is_for_supervisors_only(client, importer, plant_officer):
    for user in (importer, plant_officer):
        client.force_login(user)
        assert client.get(reverse("clearance:overview")).status_code == 404


def test_overview_shows_every_declaration_with_every_agencys_status(
    client, flowers_and_shavers, released, supervisor
):
    client.force_login(supervisor)

    text = page(client.get(reverse("clearance:overview")))

    assert flowers_and_shavers.mrn in text and released.mrn in text
    assert 'class="chip chip--pending"><span class="chip__agency">Plant Health Inspectorate</span>' in text
    assert (
        '<span class="chip__agency">Bureau of Standards</span> <span class="chip__status">Waiting</span>'
        in text
    )
    assert '<span class="chip__status">Approved automatically</span>' in text


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"status": "released"}, "released"),
        ({"status": "in_review"}, "flowers_and_shavers"),
        ({"mrn": "{released}"}, "released"),
        ({"trader": "clippers import"}, "both"),
        ({"trader": "GB427168118378"}, "none"),
    ],
)
def test_overview_filters(client, flowers_and_shavers, released, supervisor, params, shown):
    client.force_login(supervisor)
    mrns = {"released": released.mrn, "flowers_and_shavers": flowers_and_shavers.mrn}
    query = {k: v.format(released=released.mrn) for k, v in params.items()}

    text = page(client.get(reverse("clearance:overview"), query))

    for name, mrn in mrns.items():
        assert (mrn in text) == (shown in (name, "both"))


def test_needs_a_human_lists_refused_and_inspections_not_ordinary_reviews(
    client, importer, supervisor, plant_officer, food_officer, agencies, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    waiting = lodge(importer, payload_with(item(1, ROSES), lrn="NH-1"), capture)
    inspected = lodge(importer, payload_with(item(1, ROSES), lrn="NH-2"), capture)
    refused = lodge(importer, payload_with(item(1, TOMATOES), lrn="NH-3"), capture)
    client.force_login(plant_officer)
    claim(client, review_of(inspected, "plant-health"))
    decide(client, review_of(inspected, "plant-health"), "inspection_required")
    client.force_login(food_officer)
    claim(client, review_of(refused, "food-safety"))
    with capture(execute=True):
        decide(client, review_of(refused, "food-safety"), "rejected", "Residues above the limit")
    client.force_login(supervisor)

    text = page(client.get(reverse("clearance:overview"), {"needs_human": "on"}))

    assert inspected.mrn in text and refused.mrn in text
    assert waiting.mrn not in text


def test_overview_query_count_does_not_grow_with_declarations(
    client, importer, supervisor, agencies, django_capture_on_commit_callbacks, django_assert_num_queries
):
    capture = django_capture_on_commit_callbacks
    lodge(importer, payload_with(item(1, ROSES), lrn="OQ-1"), capture)
    client.force_login(supervisor)
    url = reverse("clearance:overview")
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        client.get(url, {"trader": "clippers"})
    with_one = len(first)  # now: the next request clears the connection's query log
    for n in range(2, 8):
        lodge(
            importer,
            payload_with(item(1, ROSES), item(2, SHAVER_PARTS), item(3, TOMATOES), lrn=f"OQ-{n}"),
            capture,
        )

    with django_assert_num_queries(with_one):
        text = page(client.get(url, {"trader": "clippers"}))
    assert text.count('href="/clearance/declarations/') == 7


# --- supervisor's declaration page and override -----------------------------------------------------


def test_declaration_page_is_for_supervisors_only(client, flowers_and_shavers, importer, plant_officer):
    for user in (importer, plant_officer):
        client.force_login(user)
        assert client.get(reverse("clearance:declaration", args=[flowers_and_shavers.mrn])).status_code == 404
        response = client.post(
            reverse("clearance:override", args=[flowers_and_shavers.mrn]),
            {"outcome": "released", "reason": "x"},
        )
        assert response.status_code == 404
    flowers_and_shavers.refresh_from_db()
    assert flowers_and_shavers.status == DeclarationStatus.IN_REVIEW


def test_declaration_page_shows_every_review_and_the_timeline(client, flowers_and_shavers, supervisor):
    client.force_login(supervisor)

    text = page(client.get(reverse("clearance:declaration", args=[flowers_and_shavers.mrn])))

    assert "Plant Health Inspectorate" in text and "Bureau of Standards" in text
    assert ROSES in text and SHAVER_PARTS in text
    assert "Sent to the agencies for review" in text  # the timeline
    assert "Issue the release decision" in text


def test_override_needs_a_reason(client, flowers_and_shavers, supervisor):
    client.force_login(supervisor)

    response = client.post(
        reverse("clearance:override", args=[flowers_and_shavers.mrn]), {"outcome": "released", "reason": " "}
    )

    text = page(response)
    assert response.status_code == 400
    assert 'href="#id_reason"' in text and "Say why you override the release decision." in text
    assert not ReleaseDecision.objects.filter(declaration=flowers_and_shavers).exists()


def test_override_with_a_reason_is_recorded_audited_and_on_the_timeline(
    client, flowers_and_shavers, supervisor, importer
):
    client.force_login(supervisor)
    reason = "Perishable goods; certificate verified by phone with the issuing authority"

    response = client.post(
        reverse("clearance:override", args=[flowers_and_shavers.mrn]),
        {"outcome": "released", "reason": reason},
        follow=True,
    )

    text = page(response)
    assert "Release decision recorded: Released" in text
    decision = ReleaseDecision.objects.get(declaration=flowers_and_shavers)
    assert decision.override and decision.outcome == Outcome.RELEASED and decision.decided_by == supervisor
    event = AuditEvent.objects.get(action="clearance.release.overridden", object_id=flowers_and_shavers.pk)
    assert event.actor == supervisor and event.data["reason"] == reason
    timeline = text[text.index(">Timeline<") :]
    assert "Release decision overridden by a supervisor" in timeline and reason in timeline
    assert "Override the release decision" not in text  # released: nothing left to override

    client.force_login(importer)
    trader_page = page(client.get(reverse("declarations:detail", args=[flowers_and_shavers.mrn])))
    assert "Released" in trader_page and reason in trader_page


def test_a_refused_declaration_can_only_be_released(
    client, importer, supervisor, food_officer, agencies, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    declaration = lodge(importer, payload_with(item(1, TOMATOES), lrn="REF-1"), capture)
    client.force_login(food_officer)
    claim(client, review_of(declaration, "food-safety"))
    with capture(execute=True):
        decide(client, review_of(declaration, "food-safety"), "rejected", "Residues above the limit")
    client.force_login(supervisor)

    text = page(client.get(reverse("clearance:declaration", args=[declaration.mrn])))
    refuse = client.post(
        reverse("clearance:override", args=[declaration.mrn]), {"outcome": "refused", "reason": "x"}
    )

    assert "Override the release decision" in text
    assert 'value="released"' in text and 'value="refused"' not in text
    assert refuse.status_code == 400


# --- the trader's declaration page, release note, notifications -----------------------------------


def test_trader_sees_each_agencys_status_and_time(client, flowers_and_shavers, importer, plant_officer):
    client.force_login(plant_officer)
    claim(client, review_of(flowers_and_shavers, "plant-health"))
    decide(client, review_of(flowers_and_shavers, "plant-health"), "approved")
    client.force_login(importer)

    text = page(client.get(reverse("declarations:detail", args=[flowers_and_shavers.mrn])))

    panel = text[text.index('id="agencies-title"') :]
    assert "<strong>Plant Health Inspectorate</strong>:" in panel
    assert '<span class="status status--approved">Approved</span>' in panel
    assert "<strong>Bureau of Standards</strong>:" in panel and "due " in panel
    assert "Agency approved</strong> · Plant Health Inspectorate" in text  # the timeline names the agency


def test_trader_sees_a_refusal_with_each_agencys_reasons(
    client, importer, food_officer, agencies, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    declaration = lodge(importer, payload_with(item(1, TOMATOES), lrn="REF-2"), capture)
    client.force_login(food_officer)
    claim(client, review_of(declaration, "food-safety"))
    with capture(execute=True):
        decide(client, review_of(declaration, "food-safety"), "rejected", "Residues above the limit")
    client.force_login(importer)

    text = page(client.get(reverse("declarations:detail", args=[declaration.mrn])))

    assert '<span class="status status--refused">Refused</span>' in text
    assert "Residues above the limit" in text
    assert "Download release note" not in text
    assert client.get(reverse("clearance:release_note", args=[declaration.mrn])).status_code == 404


def test_release_note_downloads_as_printable_html(client, released, importer):
    client.force_login(importer)
    detail = page(client.get(reverse("declarations:detail", args=[released.mrn])))
    assert "Download release note" in detail

    response = client.get(reverse("clearance:release_note", args=[released.mrn]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Disposition"] == f'attachment; filename="release-{released.mrn}.html"'
    note = page(response)
    for expected in (
        released.mrn,
        "REL-1",
        "Clippers Import Ltd",
        IMPORTER_EORI,
        "Released",
        "Plant Health Inspectorate",
    ):
        assert expected in note
    assert "Approved automatically" in note
    assert "@media print" in note and "<link" not in note  # self-contained, prints cleanly


def test_release_note_style_is_admitted_by_its_nonce_alone(client, released, importer):
    client.force_login(importer)

    response = client.get(reverse("clearance:release_note", args=[released.mrn]))

    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce, policy
    assert f'<style nonce="{nonce.group(1)}">' in page(response)
    assert "unsafe-inline" not in policy
    assert (
        "'nonce-"
        not in client.get(reverse("declarations:detail", args=[released.mrn]))["Content-Security-Policy"]
    )


def test_release_note_is_not_for_others(
    client, released, outsider, plant_officer, flowers_and_shavers, importer
):
    url = reverse("clearance:release_note", args=[released.mrn])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(plant_officer)
    assert client.get(url).status_code == 404
    client.force_login(importer)
    assert client.get(reverse("clearance:release_note", args=[flowers_and_shavers.mrn])).status_code == 404


def test_outsider_gets_404_for_the_traders_declaration(client, flowers_and_shavers, outsider):
    client.force_login(outsider)

    assert client.get(reverse("declarations:detail", args=[flowers_and_shavers.mrn])).status_code == 404


def test_notifications_show_on_home_once_then_are_read(client, released, importer):
    client.force_login(importer)

    first = page(client.get(reverse("home")))
    second = page(client.get(reverse("home")))

    assert f"Declaration {released.mrn}: the goods are released." in first
    assert "1 new message" in first
    assert "new message" not in second
    assert not Notification.objects.filter(user=importer, read_at__isnull=True).exists()


def test_officer_declaration_page_hides_other_agencies_reasons(client, released, plant_officer):
    client.force_login(plant_officer)

    text = page(client.get(reverse("declarations:detail", args=[released.mrn])))

    assert "Released" in text
    assert "Download release note" not in text


# --- navigation and header by role ----------------------------------------------------------------


def _nav(text: str) -> str:
    return text[
        text.index('<nav class="site-nav"') : text.index("</nav>", text.index('<nav class="site-nav"'))
    ]


def test_navigation_by_role(client, importer, plant_officer, supervisor):
    admin = UserFactory(username="admin", role="admin", is_staff=True)
    expected: dict[Any, tuple[list[str], list[str]]] = {
        importer: (["Declarations", "Lodge a declaration", "Upload XML"], ["Queue", "Declarations overview"]),
        plant_officer: (["Queue", "Declarations"], ["Lodge a declaration", "Upload XML", "Administration"]),
        supervisor: (
            ["Declarations overview"],
            ["Lodge a declaration", "Upload XML", "Queue", "Administration"],
        ),
        admin: (["Declarations overview", "Administration", "Routing dry run"], ["Lodge a declaration"]),
    }
    for user, (shown, hidden) in expected.items():
        client.force_login(user)
        nav = _nav(page(client.get(reverse("home"))))
        for label in shown:
            assert f">{label}</a>" in nav, (user.username, label)
        for label in hidden:
            assert f">{label}</a>" not in nav, (user.username, label)


def test_broker_header_names_the_first_account_and_counts_the_others(client, broker):
    client.force_login(broker)

    text = page(client.get(reverse("home")))

    header = text[: text.index("</header>")]
    assert "Harbour Customs Brokers" in header
    assert "+1 more" not in header  # the broker is a member of one account in the tests


def test_header_with_several_accounts_stays_on_one_line(client, importer, exporter_account):
    from accounts.access import account_add_member

    account_add_member(account=exporter_account, user=importer)
    client.force_login(importer)

    header = page(client.get(reverse("home")))
    header = header[: header.index("</header>")]

    assert "Clippers Import Ltd" in header and "+1 more" in header
    assert "Sports Goods Export Ltd" in header  # named for screen readers and in the tooltip


def test_agency_pages_in_french(client, flowers_and_shavers, plant_officer, settings):
    from django.utils import translation

    client.force_login(plant_officer)
    try:
        text = page(client.get(reverse("agencies:queue"), headers={"accept-language": "fr"}))
    finally:
        translation.activate(settings.LANGUAGE_CODE)

    assert "<h1>File des examens</h1>" in text and ">En attente <span" in text
    assert AgencyReview.objects.count() == 2
