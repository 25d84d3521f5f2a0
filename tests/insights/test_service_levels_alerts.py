"""The overdue alert: each review past its service level alerts its agency's officers and the
customs supervisors once, however often (or however many at once) the sweep runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agencies import services
from agencies.models import AgencyReview
from clearance.models import Notification, NotificationKind
from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Channel
from declarations.services import declaration_lodge
from insights.models import OverdueAlert
from insights.service_levels_alerts import overdue_alerts_send
from tests.agencies.fixtures import mixed_payload, review_of
from tests.concurrency import run_together


def make_overdue(declaration, *codes: str) -> None:
    AgencyReview.objects.filter(declaration=declaration, agency__code__in=codes).update(
        due_at=timezone.now() - timedelta(minutes=5)
    )


def overdue_notices():
    return Notification.objects.filter(kind=NotificationKind.OVERDUE)


def test_overdue_review_alerts_its_agency_officers_and_the_supervisors_once(
    routed, plant_officer, food_officer, supervisor, importer
):
    make_overdue(routed, "plant-health")
    assert overdue_alerts_send() == 1
    told = sorted(overdue_notices().values_list("user__username", flat=True))
    assert told == ["plant_officer", "supervisor"]  # not the food officer, not the trader
    notice = overdue_notices().first()
    assert routed.mrn in notice.message and "Plant Health" in notice.message
    assert notice.declaration_id == routed.pk
    assert overdue_alerts_send() == 0  # the next sweep: nothing new
    assert overdue_notices().count() == 2
    alert = OverdueAlert.objects.get()
    assert alert.recipients == 2


def test_review_not_yet_due_decided_or_waiting_for_the_trader_is_not_alerted(
    routed, plant_officer, food_officer, standards, supervisor
):
    services.review_decide(
        review=review_of(routed, "plant-health"), officer=plant_officer, outcome="info_requested", reason="?"
    )
    services.review_decide(review=review_of(routed, "food-safety"), officer=food_officer, outcome="approved")
    make_overdue(routed, "plant-health", "food-safety")  # waiting for the trader; decided
    assert overdue_alerts_send() == 0
    assert not overdue_notices().exists()


@pytest.mark.fullstack
@pytest.mark.django_db(transaction=True)
def test_sweeps_running_at_once_alert_each_overdue_review_once(importer, agencies, plant_officer, supervisor):
    serializer = DeclarationInputSerializer(data=mixed_payload(lrn="RACE-OVERDUE"))
    assert serializer.is_valid(), serializer.errors
    declaration = declaration_lodge(
        user=importer, data=serializer.to_declaration_data(), channel=Channel.API_JSON
    ).declaration
    make_overdue(declaration, "plant-health", "food-safety", "standards")
    results, failures = run_together([overdue_alerts_send for _ in range(4)])
    assert failures == []
    assert sum(results) == 3
    assert OverdueAlert.objects.count() == 3
    # plant health: its officer and the supervisor; food and standards have no officer here.
    assert overdue_notices().count() == 4


def test_beat_runs_the_insight_tasks_the_workers_know():
    from django.conf import settings

    from singlewindow.celery import app

    app.loader.import_default_modules()
    names = [e["task"] for k, e in settings.CELERY_BEAT_SCHEDULE.items() if k.startswith("insights-")]
    assert "insights.service_levels_tasks.overdue_alerts_send" in names
    assert set(names) <= set(app.tasks)
