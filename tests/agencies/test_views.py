"""The agency pages through the Django client: the officer's queue, a review, answers, attachments.

Declarations are lodged through the API and routed by the real pipeline (after-commit callbacks
run eagerly), so every page reads what the services wrote. Fixtures: ``tests/agencies/fixtures``.
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

from agencies import selectors
from agencies.models import AgencyReview, InformationRequest, ReviewStatus
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus

from .fixtures import ROSES, SHAVER_PARTS, TOMATOES, item, lodge, payload_with

pytestmark = pytest.mark.django_db

N851 = [{"code": "N851", "reference": "PHYTO-1", "status": "AE"}]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def lodge_flowers_and_shavers(importer: Any, capture: Any) -> Declaration:
    """Roses without their phytosanitary certificate (plant health decides) and shaver parts (standards)."""
    return lodge(importer, payload_with(item(1, ROSES), item(2, SHAVER_PARTS), lrn="PAGE-1"), capture)


@pytest.fixture
def flowers_and_shavers(importer, agencies, django_capture_on_commit_callbacks) -> Declaration:
    return lodge_flowers_and_shavers(importer, django_capture_on_commit_callbacks)


def review_of(declaration: Declaration, agency_code: str) -> AgencyReview:
    return AgencyReview.objects.get(declaration=declaration, agency__code=agency_code)


def page(response: Any) -> str:
    return response.content.decode()


def claim(client: Any, review: AgencyReview, *, follow: bool = False) -> Any:
    return client.post(reverse("agencies:claim", args=[review.pk]), follow=follow)


def decide(client: Any, review: AgencyReview, outcome: str, reason: str = "") -> Any:
    return client.post(reverse("agencies:decide", args=[review.pk]), {"outcome": outcome, "reason": reason})


def ask(client: Any, review: AgencyReview, question: str, capture: Any) -> InformationRequest:
    claim(client, review)
    with capture(execute=True):
        decide(client, review, "info_requested", question)
    return InformationRequest.objects.get(review=review, answered_at__isnull=True)


# --- queue ---------------------------------------------------------------------------------------


def test_queue_is_for_officers_only(client, importer, supervisor):
    for user in (importer, supervisor):
        client.force_login(user)
        assert client.get(reverse("agencies:queue")).status_code == 404


def test_officer_queue_lists_only_its_agencys_reviews(
    client, importer, plant_officer, agencies, django_capture_on_commit_callbacks
):
    flowers = lodge(
        importer, payload_with(item(1, ROSES), lrn="Q-FLOWERS"), django_capture_on_commit_callbacks
    )
    tomatoes = lodge(
        importer, payload_with(item(1, TOMATOES), lrn="Q-VEG"), django_capture_on_commit_callbacks
    )
    client.force_login(plant_officer)

    response = client.get(reverse("agencies:queue"))

    assert response.status_code == 200
    assert flowers.mrn in page(response)
    assert tomatoes.mrn not in page(response)
    assert ROSES in page(response)
    assert "Clippers Import Ltd" in page(response)


def test_queue_tabs_follow_claim_and_decision(client, flowers_and_shavers, plant_officer):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    mrn = flowers_and_shavers.mrn

    def tab(name: str) -> str:
        return page(client.get(reverse("agencies:queue"), {"tab": name}))

    assert mrn in tab("pending") and mrn not in tab("mine")
    claim(client, review)
    assert mrn in tab("mine") and mrn not in tab("pending")
    decide(client, review, "approved")
    assert mrn in tab("decided") and mrn not in tab("mine")


def test_overdue_reviews_come_first_and_say_so_in_words(
    client, importer, plant_officer, agencies, django_capture_on_commit_callbacks
):
    older = lodge(importer, payload_with(item(1, ROSES), lrn="Q-OLD"), django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(hours=20)):
        newer = lodge(importer, payload_with(item(1, ROSES), lrn="Q-NEW"), django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(hours=30)):
        # signed in then: a session idle for 30 hours would have ended
        client.force_login(plant_officer)
        pending = page(client.get(reverse("agencies:queue")))
        overdue = page(client.get(reverse("agencies:queue"), {"tab": "overdue"}))

    assert pending.index(older.mrn) < pending.index(newer.mrn)
    assert "Overdue by" in pending and "row--overdue" in pending
    assert older.mrn in overdue and newer.mrn not in overdue


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("mrn", "{flowers}", "flowers"),
        ("trader", "GB427168118378", "exporters"),
        ("trader", "sports goods", "exporters"),
        ("hs_prefix", "0603", "flowers"),
    ],
)
def test_queue_filters(
    client,
    importer,
    exporter,
    plant_officer,
    agencies,
    django_capture_on_commit_callbacks,
    field,
    value,
    shown,
):
    capture = django_capture_on_commit_callbacks
    flowers = lodge(importer, payload_with(item(1, ROSES), lrn="F-1"), capture)
    exporters = lodge(
        exporter,
        payload_with(
            item(1, "06011010"),
            lrn="F-2",
            parties=[
                {"role": "declarant", "eori": "GB427168118378"},
                {"role": "importer", "eori": "GB427168118378"},
            ],
        ),
        capture,
    )
    declarations = {"flowers": flowers, "exporters": exporters}
    client.force_login(plant_officer)

    response = client.get(reverse("agencies:queue"), {field: value.format(flowers=flowers.mrn)})

    hidden = "exporters" if shown == "flowers" else "flowers"
    assert declarations[shown].mrn in page(response)
    assert declarations[hidden].mrn not in page(response)


def test_queue_age_filter_keeps_only_reviews_waiting_that_long(
    client, importer, plant_officer, agencies, django_capture_on_commit_callbacks
):
    with time_machine.travel(timezone.now() - timedelta(hours=30)):
        old = lodge(importer, payload_with(item(1, ROSES), lrn="AGE-1"), django_capture_on_commit_callbacks)
    new = lodge(importer, payload_with(item(1, ROSES), lrn="AGE-2"), django_capture_on_commit_callbacks)
    client.force_login(plant_officer)

    text = page(client.get(reverse("agencies:queue"), {"age": "24"}))

    assert old.mrn in text and new.mrn not in text


def test_queue_filter_errors_are_summarised_and_linked(client, plant_officer):
    client.force_login(plant_officer)

    text = page(client.get(reverse("agencies:queue"), {"hs_prefix": "06x"}))

    assert 'class="error-summary"' in text
    assert 'href="#id_hs_prefix"' in text


def _queries(client: Any, url: str, params: dict[str, str]) -> int:
    client.get(url, params)  # warm the per-process caches (content types) first
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


@pytest.mark.parametrize("tab", ["pending", "mine", "decided"])
def test_queue_query_count_does_not_grow_with_reviews(
    client,
    importer,
    plant_officer,
    agencies,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    tab,
):
    capture = django_capture_on_commit_callbacks
    client.force_login(plant_officer)

    def add(n: int) -> None:
        declaration = lodge(importer, payload_with(item(1, ROSES), item(2, ROSES), lrn=f"QC-{n}"), capture)
        review = review_of(declaration, "plant-health")
        if tab != "pending":
            claim(client, review)
        if tab == "decided":
            decide(client, review, "approved")

    add(1)
    url = reverse("agencies:queue")
    with_one = _queries(client, url, {"tab": tab, "trader": "clippers"})
    for n in range(2, 8):
        add(n)

    with django_assert_num_queries(with_one):
        response = client.get(url, {"tab": tab, "trader": "clippers"})
    assert page(response).count('href="/agencies/reviews/') == 7


def test_queue_pages_by_25(client, importer, plant_officer, agencies, django_capture_on_commit_callbacks):
    for n in range(26):
        lodge(importer, payload_with(item(1, ROSES), lrn=f"PG-{n}"), django_capture_on_commit_callbacks)
    client.force_login(plant_officer)

    first = page(client.get(reverse("agencies:queue")))
    second = page(client.get(reverse("agencies:queue"), {"page": "2"}))

    assert first.count('href="/agencies/reviews/') == 25
    assert second.count('href="/agencies/reviews/') == 1
    assert "Page 1 of 2" in first


# --- one review ----------------------------------------------------------------------------------


def test_officer_of_another_agency_gets_404_for_the_review(client, flowers_and_shavers, standards_officer):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(standards_officer)

    assert client.get(reverse("agencies:review", args=[review.pk])).status_code == 404
    assert claim(client, review).status_code == 404
    assert decide(client, review, "approved").status_code == 404
    assert review_of(flowers_and_shavers, "plant-health").status == ReviewStatus.PENDING


def test_traders_get_404_for_reviews(client, flowers_and_shavers, importer):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(importer)

    assert client.get(reverse("agencies:review", args=[review.pk])).status_code == 404


def test_review_shows_only_the_items_routed_to_the_agency_and_why(client, flowers_and_shavers, plant_officer):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)

    text = page(client.get(reverse("agencies:review", args=[review.pk])))

    assert ROSES in text
    assert SHAVER_PARTS not in text
    assert "Cut flowers" in text  # the rule that routed it
    assert "N851" in text and "Required documents missing" in text
    assert "Claim this review" in text


def test_officer_sees_only_its_items_on_the_declaration_page_too(client, flowers_and_shavers, plant_officer):
    client.force_login(plant_officer)

    text = page(client.get(reverse("declarations:detail", args=[flowers_and_shavers.mrn])))

    assert ROSES in text
    assert SHAVER_PARTS not in text
    assert "Bureau of Standards" not in text


def test_claim_then_a_second_officer_is_told_who_has_it(
    client, flowers_and_shavers, plant_officer, plant_officer_2
):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    assert "You have taken this review" in page(claim(client, review, follow=True))

    client.force_login(plant_officer_2)
    response = claim(client, review, follow=True)

    assert "Another officer (plant_officer) has already taken this review." in page(response)
    assert review_of(flowers_and_shavers, "plant-health").claimed_by == plant_officer
    assert "Record decision" not in page(response)


def test_officer_puts_a_claimed_review_back(client, flowers_and_shavers, plant_officer):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    claim(client, review)

    response = client.post(reverse("agencies:release", args=[review.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("agencies:queue")
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING and review.claimed_by is None


def test_decision_form_shows_only_when_the_officer_holds_the_review(
    client, flowers_and_shavers, plant_officer
):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    url = reverse("agencies:review", args=[review.pk])
    assert "Record decision" not in page(client.get(url))

    claim(client, review)
    text = page(client.get(url))

    assert "Record decision" in text
    for label in ("Approve", "Reject", "Ask the trader for information", "Require a physical inspection"):
        assert label in text
    assert '<label for="id_reason">' in text


@pytest.mark.parametrize(
    ("outcome", "reason", "status", "message"),
    [
        ("approved", "", ReviewStatus.APPROVED, "You approved"),
        ("rejected", "Pests found in the consignment", ReviewStatus.REJECTED, "You rejected"),
        (
            "info_requested",
            "Send the phytosanitary certificate",
            ReviewStatus.INFO_REQUESTED,
            "sent to the trader",
        ),
        ("inspection_required", "", ReviewStatus.INSPECTION_REQUIRED, "An inspection is required"),
    ],
)
def test_each_decision_is_recorded(
    client,
    flowers_and_shavers,
    plant_officer,
    outcome,
    reason,
    status,
    message,
    django_capture_on_commit_callbacks,
):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    claim(client, review)

    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, review, outcome, reason)

    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == status
    assert message in page(client.get(response["Location"]))
    if outcome == "info_requested":
        assert InformationRequest.objects.get(review=review).question == reason


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        ("rejected", "Say why the goods are rejected."),
        ("info_requested", "Write the question for the trader."),
    ],
)
def test_reject_and_question_need_a_reason_beside_the_field_and_in_the_summary(
    client, flowers_and_shavers, plant_officer, outcome, message
):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    claim(client, review)

    response = decide(client, review, outcome, "   ")

    text = page(response)
    assert response.status_code == 400
    assert 'class="error-summary"' in text and 'href="#id_reason"' in text
    assert f'id="id_reason_error"><span class="visually-hidden">Error:</span> {message}' in text
    assert f'value="{outcome}" id="id_outcome_' in text and "checked" in text  # the choice is kept
    assert review_of(flowers_and_shavers, "plant-health").status == ReviewStatus.IN_REVIEW


def test_no_choice_is_an_error_on_the_radios(client, flowers_and_shavers, plant_officer):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    claim(client, review)

    text = page(client.post(reverse("agencies:decide", args=[review.pk]), {"reason": ""}))

    assert 'href="#id_outcome_0"' in text and "Choose a decision." in text


def test_after_an_inspection_the_officer_approves(client, flowers_and_shavers, plant_officer):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    claim(client, review)
    decide(client, review, "inspection_required")

    text = page(client.get(reverse("agencies:review", args=[review.pk])))
    assert "Require a physical inspection" not in text
    decide(client, review, "approved")

    assert review_of(flowers_and_shavers, "plant-health").status == ReviewStatus.APPROVED


def test_review_shows_the_traders_history_with_the_agency(
    client, importer, plant_officer, agencies, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    earlier = lodge(importer, payload_with(item(1, ROSES), lrn="HIST-1"), capture)
    client.force_login(plant_officer)
    first = review_of(earlier, "plant-health")
    claim(client, first)
    with capture(execute=True):
        decide(client, first, "rejected", "No certificate on file")
    later = lodge(importer, payload_with(item(1, ROSES), lrn="HIST-2"), capture)

    text = page(client.get(reverse("agencies:review", args=[review_of(later, "plant-health").pk])))

    history = text[text.index("history with your agency") :]
    assert earlier.mrn in history
    assert "Rejected" in history and "No certificate on file" in history


def test_review_page_query_count_does_not_grow_with_items_or_history(
    client, importer, plant_officer, agencies, django_capture_on_commit_callbacks, django_assert_num_queries
):
    capture = django_capture_on_commit_callbacks
    small = lodge(importer, payload_with(item(1, ROSES), lrn="RQ-1"), capture)
    client.force_login(plant_officer)
    url = reverse("agencies:review", args=[review_of(small, "plant-health").pk])
    with_one = _queries(client, url, {})
    for n in range(2, 5):
        lodge(importer, payload_with(item(1, ROSES), lrn=f"RQ-{n}"), capture)
    big = lodge(importer, payload_with(*(item(n, ROSES) for n in range(1, 7)), lrn="RQ-BIG"), capture)
    big_url = reverse("agencies:review", args=[review_of(big, "plant-health").pk])

    with django_assert_num_queries(with_one):
        text = page(client.get(big_url))
    assert text.count(ROSES) >= 6 and text.count('href="/agencies/reviews/') == 4  # the history


# --- information requests: the trader answers ------------------------------------------------------


def test_trader_answers_with_an_attachment_and_the_review_returns_to_the_officer(
    client,
    flowers_and_shavers,
    importer,
    plant_officer,
    django_capture_on_commit_callbacks,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    info = ask(client, review, "Send the phytosanitary certificate", django_capture_on_commit_callbacks)

    client.force_login(importer)
    detail = page(client.get(reverse("declarations:detail", args=[flowers_and_shavers.mrn])))
    assert "Send the phytosanitary certificate" in detail
    assert reverse("agencies:answer", args=[info.pk]) in detail
    assert "PDF, PNG, JPEG, XML or plain text; up to 10 files of 10.0\xa0MB each." in detail

    response = client.post(
        reverse("agencies:answer", args=[info.pk]),
        {
            "answer": "Certificate attached",
            "attachments": [SimpleUploadedFile("phyto.pdf", PDF, content_type="application/pdf")],
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("declarations:detail", args=[flowers_and_shavers.mrn])
    assert "Your answer was sent to Plant Health Inspectorate" in page(response)
    info.refresh_from_db()
    assert info.answer == "Certificate attached"
    assert review_of(flowers_and_shavers, "plant-health").status == ReviewStatus.IN_REVIEW
    attachment = info.attachments.get()

    client.force_login(plant_officer)
    review_page = page(client.get(reverse("agencies:review", args=[review.pk])))
    assert "Certificate attached" in review_page
    assert reverse("agencies:attachment", args=[attachment.pk]) in review_page
    download = client.get(reverse("agencies:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="phyto.pdf"'
    assert b"".join(download.streaming_content) == PDF


def test_attachments_are_not_served_to_others(
    client,
    flowers_and_shavers,
    importer,
    plant_officer,
    standards_officer,
    outsider,
    django_capture_on_commit_callbacks,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    info = ask(client, review, "Certificate?", django_capture_on_commit_callbacks)
    client.force_login(importer)
    client.post(
        reverse("agencies:answer", args=[info.pk]),
        {"answer": "Here", "attachments": [SimpleUploadedFile("c.txt", b"cert", content_type="text/plain")]},
    )
    attachment = info.attachments.get()

    for user in (outsider, standards_officer):
        client.force_login(user)
        assert client.get(reverse("agencies:attachment", args=[attachment.pk])).status_code == 404
    client.force_login(outsider)
    assert client.get(reverse("agencies:answer", args=[info.pk])).status_code == 404


def test_answer_errors_are_shown_beside_the_fields(
    client,
    flowers_and_shavers,
    importer,
    plant_officer,
    django_capture_on_commit_callbacks,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    info = ask(client, review, "Certificate?", django_capture_on_commit_callbacks)
    client.force_login(importer)
    url = reverse("agencies:answer", args=[info.pk])

    empty = client.post(url, {"answer": ""})
    wrong_file = client.post(
        url,
        {
            "answer": "See file",
            "attachments": [SimpleUploadedFile("cert.exe", b"MZ", content_type="application/x-msdownload")],
        },
    )

    assert empty.status_code == 400
    assert 'href="#id_answer"' in page(empty) and "Write an answer to the agency" in page(empty)
    assert wrong_file.status_code == 400
    assert 'href="#id_attachments"' in page(wrong_file)
    assert "attach a PDF, PNG, JPEG, XML or plain text file" in page(wrong_file)
    info.refresh_from_db()
    assert info.is_open


def test_officers_do_not_answer_questions(
    client, flowers_and_shavers, plant_officer, django_capture_on_commit_callbacks
):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    info = ask(client, review, "Certificate?", django_capture_on_commit_callbacks)

    assert client.post(reverse("agencies:answer", args=[info.pk]), {"answer": "x"}).status_code == 404


def test_declaration_still_in_review_after_a_question(
    client, flowers_and_shavers, plant_officer, django_capture_on_commit_callbacks
):
    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    ask(client, review, "Certificate?", django_capture_on_commit_callbacks)

    flowers_and_shavers.refresh_from_db()
    assert flowers_and_shavers.status == DeclarationStatus.INFO_REQUESTED
    assert "Waiting for the trader" in page(client.get(reverse("agencies:review", args=[review.pk])))


def test_queue_tab_says_more_than_the_cap_instead_of_counting_on(
    client, importer, plant_officer, agencies, django_capture_on_commit_callbacks, monkeypatch
):
    for n in range(3):
        lodge(importer, payload_with(item(1, ROSES), lrn=f"CAP-{n}"), django_capture_on_commit_callbacks)
    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 2)
    client.force_login(plant_officer)
    html = client.get(reverse("agencies:queue")).content.decode()
    assert 'the tab stops counting there.">2+</span>' in html
    assert "3 reviews" in html  # the page itself still counts exactly


def test_trader_gets_no_answer_form_once_a_supervisor_decided_the_declaration(
    client, flowers_and_shavers, importer, plant_officer, supervisor, django_capture_on_commit_callbacks
):
    from clearance.services import release_override

    review = review_of(flowers_and_shavers, "plant-health")
    client.force_login(plant_officer)
    info = ask(client, review, "Send the phytosanitary certificate", django_capture_on_commit_callbacks)
    release_override(
        declaration=flowers_and_shavers, supervisor=supervisor, outcome="released", reason="Known shipment"
    )

    client.force_login(importer)
    detail = page(client.get(reverse("declarations:detail", args=[flowers_and_shavers.mrn])))
    assert "Send the phytosanitary certificate" in detail
    assert "Closed without an answer: customs has decided this declaration." in detail
    assert reverse("agencies:answer", args=[info.pk]) not in detail
    answer_page = client.get(reverse("agencies:answer", args=[info.pk]), follow=True)
    assert answer_page.redirect_chain[-1][0] == reverse("declarations:detail", args=[flowers_and_shavers.mrn])
    assert "the question no longer needs an answer" in page(answer_page)
