"""The service-level clock stops while an agency waits for the trader's answer."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from agencies import services
from agencies.models import InformationRequest
from singlewindow.models import AuditEvent
from tests.agencies.fixtures import review_of


def test_answer_pushes_the_review_due_time_forward_by_the_time_the_trader_took(
    routed, plant_officer, importer
):
    review = review_of(routed, "plant-health")
    due_before = review.due_at
    asked = timezone.now()
    with time_machine.travel(asked, tick=False):
        services.review_decide(review=review, officer=plant_officer, outcome="info_requested", reason="Cert?")
    request = InformationRequest.objects.get(review=review)
    with time_machine.travel(asked + timedelta(hours=30), tick=False):
        services.information_answer(information_request=request, user=importer, answer="Attached.")
    review.refresh_from_db()
    assert review.due_at == due_before + timedelta(hours=30)
    event = AuditEvent.objects.filter(action="agencies.review.info_answered").latest("pk")
    assert event.data["clock_paused_seconds"] == 30 * 3600


def test_each_question_pauses_the_clock_for_its_own_wait_only(routed, plant_officer, importer):
    review = review_of(routed, "plant-health")
    due_before = review.due_at
    start = timezone.now()
    waits = [timedelta(hours=2), timedelta(minutes=45)]
    at = start
    for wait in waits:
        with time_machine.travel(at, tick=False):
            services.review_decide(
                review=review_of(routed, "plant-health"),
                officer=plant_officer,
                outcome="info_requested",
                reason="More?",
            )
        request = InformationRequest.objects.get(review=review, answered_at__isnull=True)
        with time_machine.travel(at + wait, tick=False):
            services.information_answer(information_request=request, user=importer, answer="Here")
        at += wait + timedelta(hours=1)  # the officer reads for an hour: that counts against the agency
    review.refresh_from_db()
    assert review.due_at == due_before + sum(waits, timedelta(0))
