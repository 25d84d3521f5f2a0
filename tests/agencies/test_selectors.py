"""Queue selectors: who sees which reviews, the four views, filters, ordering, fixed query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from agencies import selectors, services
from agencies.models import AgencyReview

from .fixtures import lodge, mixed_payload, review_of

pytestmark = pytest.mark.django_db


def test_officer_sees_only_its_agencys_reviews_and_supervisor_all(
    routed, plant_officer, supervisor, importer
):
    assert {r.agency.code for r in selectors.reviews_for_officer(plant_officer)} == {"plant-health"}
    assert selectors.reviews_for_officer(supervisor).count() == 3
    assert selectors.reviews_for_officer(importer).count() == 0


def test_access_review_is_the_same_404_for_missing_and_not_yours(routed, food_officer):
    review = review_of(routed, "plant-health")
    for review_id in (review.pk, 999999, "not-a-number"):
        with pytest.raises(Http404):
            selectors.access_review(food_officer, review_id)


def test_officer_sees_only_the_items_routed_to_it(routed, plant_officer, supervisor):
    assert [i.sequence for i in selectors.items_visible_to_officer(plant_officer, routed)] == [1]
    assert sorted(i.sequence for i in selectors.items_visible_to_officer(supervisor, routed)) == [1, 2, 3]


def test_pending_mine_and_decided_views(
    routed, importer, plant_officer, plant_officer_2, django_capture_on_commit_callbacks
):
    second = lodge(importer, mixed_payload(lrn="SEL-2"), django_capture_on_commit_callbacks)
    services.review_claim(review=review_of(second, "plant-health"), officer=plant_officer)
    assert [r.declaration_id for r in selectors.review_queue(plant_officer, view="pending")] == [routed.pk]
    assert [r.declaration_id for r in selectors.review_queue(plant_officer, view="mine")] == [second.pk]
    assert list(selectors.review_queue(plant_officer_2, view="mine")) == []
    services.review_decide(
        review=review_of(second, "plant-health"), officer=plant_officer, outcome="approved"
    )
    assert [r.declaration_id for r in selectors.review_queue(plant_officer, view="decided")] == [second.pk]
    assert list(selectors.review_queue(plant_officer, view="mine")) == []
    assert selectors.queue_counts(plant_officer) == {"pending": 1, "mine": 0, "overdue": 0, "decided": 1}


def test_overdue_items_come_first_and_are_flagged(
    importer, agencies, plant_officer, django_capture_on_commit_callbacks
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        old = lodge(importer, mixed_payload(lrn="SEL-OLD"), django_capture_on_commit_callbacks)
    with time_machine.travel(start + timedelta(hours=20), tick=False):
        new = lodge(importer, mixed_payload(lrn="SEL-NEW"), django_capture_on_commit_callbacks)
    with time_machine.travel(start + timedelta(hours=30), tick=False):
        pending = list(selectors.review_queue(plant_officer, view="pending"))
        assert [r.declaration_id for r in pending] == [old.pk, new.pk]
        assert pending[0].is_overdue
        assert not pending[1].is_overdue
        assert pending[0].time_left < timedelta(0)
        assert [r.declaration_id for r in selectors.review_queue(plant_officer, view="overdue")] == [old.pk]
        assert [
            r.declaration_id for r in selectors.review_queue(plant_officer, view="pending", min_age_hours=25)
        ] == [old.pk]


def test_filters_by_mrn_trader_and_hs_prefix(routed, plant_officer, supervisor):
    assert selectors.review_queue(plant_officer, view="all", mrn=routed.mrn.lower()).count() == 1
    assert selectors.review_queue(plant_officer, view="all", trader="gb553202734852").count() == 1
    assert selectors.review_queue(plant_officer, view="all", trader="clippers").count() == 1
    assert selectors.review_queue(plant_officer, view="all", trader="Nobody Ltd").count() == 0
    assert selectors.review_queue(supervisor, view="all", hs_prefix="85").count() == 1
    assert selectors.review_queue(supervisor, view="all", agency="food-safety").count() == 1


def test_queue_selector_runs_a_fixed_number_of_queries(
    importer, agencies, plant_officer, django_assert_num_queries, django_capture_on_commit_callbacks
):
    lodge(importer, mixed_payload(lrn="SEL-Q1"), django_capture_on_commit_callbacks)
    list(selectors.review_queue(plant_officer, view="pending"))  # warm caches

    def page() -> None:
        officer = User.objects.get(pk=plant_officer.pk)  # as a request loads it: role not yet read
        for review in selectors.review_queue(officer, view="pending")[:50]:
            _ = (review.declaration.mrn, review.declaration.trader_account.eori, review.agency.name)
            _ = [i.commodity_code for i in review.items.all()]
            _ = (review.items_count, review.is_overdue, review.claimed_by)

    # the user, its role, its agency ids (filtered on as literals), reviews with their joins, items
    with django_assert_num_queries(5):
        page()
    for n in range(2, 9):
        lodge(importer, mixed_payload(lrn=f"SEL-Q{n}"), django_capture_on_commit_callbacks)
    with django_assert_num_queries(5):
        page()
    officer = User.objects.get(pk=plant_officer.pk)
    with django_assert_num_queries(3):  # role, agency ids, one query of four capped counts
        selectors.queue_counts(officer)


def test_trader_history_lists_earlier_reviews_by_the_same_agency(
    routed, importer, plant_officer, django_capture_on_commit_callbacks
):
    services.review_decide(
        review=review_of(routed, "plant-health"), officer=plant_officer, outcome="rejected", reason="Pests"
    )
    later = lodge(importer, mixed_payload(lrn="SEL-LATER"), django_capture_on_commit_callbacks)
    history = list(selectors.trader_history_with_agency(review_of(later, "plant-health")))
    assert [(h.declaration.mrn, h.status, h.decision_reason) for h in history] == [
        (routed.mrn, "rejected", "Pests")
    ]
    assert list(selectors.trader_history_with_agency(review_of(routed, "plant-health"))) == []


def test_review_with_details_loads_everything_in_fixed_queries(routed, django_assert_num_queries):
    review = review_of(routed, "plant-health")
    with django_assert_num_queries(6):
        detailed = selectors.review_with_details(review)
        _ = [d.code for i in detailed.items.all() for d in i.documents.all()]
        _ = [r.attachments.all() for r in detailed.info_requests.all()]
        _ = list(detailed.declaration.parties.all())
        _ = detailed.declaration.header_documents
    assert AgencyReview.objects.count() == 3


@pytest.mark.parametrize(
    ("sample", "agencies"),
    [
        ("TT_IM001a__Step1_TT_IM001a.xml", {"standards"}),  # 8510 shaver parts
        ("TT_IM030a__Step1_TT_IM030a.xml", {"plant-health", "food-safety"}),  # 0709 vegetables
        ("TT_IM012a__TT_IM012a.xml", {"customs"}),  # 4202 handbags: nobody else claims them
    ],
)
def test_demo_rules_route_the_real_samples_sensibly(db, capsys, sample, agencies):
    from django.core.management import call_command

    from accounts.models import User
    from agencies.routing import routing_plan
    from declarations.models import Channel
    from declarations.services import declaration_lodge_xml
    from tests.conftest import SAMPLES

    call_command("seed_demo")
    capsys.readouterr()
    broker = User.objects.get(username="broker")
    result = declaration_lodge_xml(
        user=broker, body=(SAMPLES / "imports" / sample).read_bytes(), channel=Channel.API_XML
    )
    assert {route.agency.code for route in routing_plan(result.declaration)} == agencies


def test_seed_demo_json_lists_officers_with_their_agency_and_auto_decide(db, capsys):
    import json

    from django.core.management import call_command

    from agencies.models import Agency, RoutingRule

    call_command("seed_demo", "--json")
    users = json.loads(capsys.readouterr().out)
    officers = {u["username"]: u["agency"] for u in users if u["role"] == "officer"}
    assert officers["plant_officer"] == "plant-health"
    assert RoutingRule.objects.filter(agency__code="plant-health", hs_prefix="44").exists()
    assert not RoutingRule.objects.filter(agency__code="customs").exists()
    assert not Agency.objects.filter(auto_decide=True).exists()
    call_command("seed_demo", "--auto-decide")
    assert not Agency.objects.filter(auto_decide=False).exists()


def test_a_supervisors_override_takes_open_reviews_out_of_the_queues_keeping_their_status(
    routed, plant_officer, supervisor
):
    from clearance.services import release_override

    assert selectors.queue_counts(plant_officer)["pending"] == 1
    release_override(declaration=routed, supervisor=supervisor, outcome="released", reason="Urgent medicine")
    review = review_of(routed, "plant-health")
    assert review.status == "pending"  # the agency never decided
    assert review.withdrawn_at is not None
    officer = User.objects.get(pk=plant_officer.pk)
    assert list(selectors.review_queue(officer, view="pending")) == []
    assert selectors.queue_counts(officer) == {"pending": 0, "mine": 0, "overdue": 0, "decided": 0}
    assert [r.pk for r in selectors.review_queue(officer, view="all")] == [review.pk]


def test_tab_counts_stop_past_the_cap(
    routed, plant_officer, monkeypatch, importer, django_capture_on_commit_callbacks
):
    lodge(importer, mixed_payload(lrn="SEL-CAP-2"), django_capture_on_commit_callbacks)
    lodge(importer, mixed_payload(lrn="SEL-CAP-3"), django_capture_on_commit_callbacks)
    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 2)
    assert selectors.queue_counts(plant_officer)["pending"] == 3  # cap + 1: "more than 2"
    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 3)
    assert selectors.queue_counts(plant_officer)["pending"] == 3
