"""Risk assessment in the pipeline: every routed declaration is scored, written, audited; failures
fall back to the yellow lane; an amendment is scored again without lowering a lane under control."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import TraderAccount
from agencies.models import Agency
from clearance.models import (
    ComplianceEvent,
    ControlTask,
    Lane,
    RiskAssessment,
    RiskRule,
    RiskSettings,
    RuleHit,
    RuleKind,
    ValueMedian,
    WatchlistEntry,
)
from clearance.risk import cache
from clearance.risk.services import FAILED_REASON, risk_assess
from declarations.models import Declaration
from singlewindow.models import AuditEvent
from tests.agencies.fixtures import ROSES, TEA, client_for, item, lodge, mixed_payload, payload_with
from tests.factories import UserFactory

from .helpers import make_rule

pytestmark = pytest.mark.django_db


def test_every_routed_declaration_has_an_assessment_and_an_audit_event(routed):
    assessment = RiskAssessment.objects.get(declaration=routed)
    assert (assessment.score, assessment.lane, assessment.reasons) == (0, Lane.GREEN, [])
    assert assessment.version == routed.version
    event = AuditEvent.objects.get(action="clearance.risk.assessed", object_id=assessment.pk)
    assert event.data["score"] == 0 and event.data["lane"] == "green"
    assert RiskSettings.objects.count() == 1  # created with the defaults on first read


def test_a_declaration_routed_only_to_plant_health_gets_customs_red_lane(
    importer, agencies, django_capture_on_commit_callbacks
):
    """Customs scores every declaration, even one no customs review was opened for."""
    make_rule("Roses from Colombia", hs_prefix="0603", origin_country="CO", weight=70)
    declaration = lodge(
        importer, payload_with(item(1, ROSES, origin="CO"), lrn="RISK-1"), django_capture_on_commit_callbacks
    )
    assert list(declaration.reviews.values_list("agency__code", flat=True)) == ["plant-health"]
    assessment = declaration.risk
    assert (assessment.score, assessment.lane) == (70, Lane.RED)
    assert assessment.reasons[0]["name"] == "Roses from Colombia" and assessment.reasons[0]["item"] == 1
    hit = RuleHit.objects.get(assessment=assessment)
    assert (hit.rule.name, hit.points, hit.outcome) == ("Roses from Colombia", 70, "")


def test_history_watchlist_and_aeo_facts_come_from_the_database(
    importer, importer_account, agencies, django_capture_on_commit_callbacks
):
    make_rule("Seizures", kind=RuleKind.HISTORY, history_event="seizure", history_months=12, weight=40)
    make_rule("Watched", kind=RuleKind.WATCHLIST, weight=50)
    make_rule("AEO", kind=RuleKind.AEO, weight=-30, aeo_tiers=["AEOF"])
    ComplianceEvent.objects.create(
        trader_account=importer_account,
        kind="seizure",
        occurred_at=timezone.now() - timedelta(days=40),
        source="test:1",
    )
    ComplianceEvent.objects.create(
        trader_account=importer_account,
        kind="seizure",
        occurred_at=timezone.now() - timedelta(days=500),  # outside the 12 months
        source="test:2",
    )
    customs = Agency.objects.get(code="customs")
    officer = UserFactory(role="officer")
    # The exporter party of the sample carries no EORI: watch the declarant's instead (the importer's).
    WatchlistEntry.objects.create(eori="GB553202734852", agency=customs, reason="tip-off", added_by=officer)
    WatchlistEntry.objects.create(
        eori="GB553202734852",
        agency=customs,
        reason="old",
        added_by=officer,
        removed_at=timezone.now(),
    )
    TraderAccount.objects.filter(pk=importer_account.pk).update(
        aeo_tier="AEOF", aeo_valid_from=date(2020, 1, 1), aeo_valid_until=None
    )
    declaration = lodge(importer, mixed_payload(lrn="RISK-2"), django_capture_on_commit_callbacks)
    names = [(r["name"], r["points"]) for r in declaration.risk.reasons]
    assert names == [("Seizures", 40), ("Watched", 50), ("AEO", -30)]
    assert declaration.risk.score == 60 and declaration.risk.lane == Lane.RED


def test_an_expired_watchlist_entry_or_aeo_does_not_count(
    importer, importer_account, agencies, django_capture_on_commit_callbacks
):
    make_rule("Watched", kind=RuleKind.WATCHLIST, weight=50)
    make_rule("AEO", kind=RuleKind.AEO, weight=-30)
    customs = Agency.objects.get(code="customs")
    WatchlistEntry.objects.create(
        trader_account=importer_account,
        agency=customs,
        reason="expired",
        added_by=UserFactory(role="officer"),
        valid_until=timezone.localdate() - timedelta(days=1),
    )
    TraderAccount.objects.filter(pk=importer_account.pk).update(
        aeo_tier="AEOC",
        aeo_valid_from=date(2020, 1, 1),
        aeo_valid_until=timezone.localdate() - timedelta(days=1),
    )
    declaration = lodge(importer, mixed_payload(lrn="RISK-3"), django_capture_on_commit_callbacks)
    assert declaration.risk.reasons == [] and declaration.risk.lane == Lane.GREEN


def test_watchlisted_trader_account_matches(
    importer, importer_account, agencies, django_capture_on_commit_callbacks
):
    make_rule("Watched", kind=RuleKind.WATCHLIST, weight=35)
    WatchlistEntry.objects.create(
        trader_account=importer_account,
        agency=Agency.objects.get(code="customs"),
        reason="late filings",
        added_by=UserFactory(role="officer"),
    )
    declaration = lodge(importer, mixed_payload(lrn="RISK-4"), django_capture_on_commit_callbacks)
    assert declaration.risk.score == 35 and declaration.risk.lane == Lane.YELLOW


def test_undervaluation_against_the_stored_median(importer, agencies, django_capture_on_commit_callbacks):
    make_rule("Cheap shavers", kind=RuleKind.UNDERVALUATION, undervaluation_ratio=Decimal("0.30"), weight=25)
    # Item 1 of the sample: 1000 GBP for 100 kg = 10 GBP/kg.
    ValueMedian.objects.create(
        hs_subheading="851090",
        unit="kg",
        median=50,
        currency="GBP",
        sample_size=20,
        refreshed_at=timezone.now(),
    )
    declaration = lodge(
        importer, payload_with(item(1, "85109000"), lrn="RISK-5"), django_capture_on_commit_callbacks
    )
    reason = declaration.risk.reasons[0]
    assert (reason["name"], reason["item"], reason["points"]) == ("Cheap shavers", 1, 25)


def test_a_broken_rule_gives_the_yellow_lane_and_routing_goes_on(
    importer, agencies, django_capture_on_commit_callbacks, caplog
):
    """Scoring never loses a declaration: it is routed, with a documentary check instead."""
    rule = make_rule("Broken")
    RiskRule.objects.filter(pk=rule.pk).update(kind="no-such-kind")
    cache.risk_cache_reset()
    declaration = lodge(importer, mixed_payload(lrn="RISK-6"), django_capture_on_commit_callbacks)
    assert declaration.status == "in_review"
    assert declaration.reviews.count() == 3
    assert declaration.risk.lane == Lane.YELLOW
    assert [r["reason"] for r in declaration.risk.reasons] == [FAILED_REASON]
    assert "risk assessment" in caplog.text


def test_facts_cost_a_constant_number_of_queries_whatever_the_number_of_rules(
    importer, agencies, django_capture_on_commit_callbacks
):
    declaration = lodge(importer, mixed_payload(lrn="RISK-7"), django_capture_on_commit_callbacks)
    items = list(declaration.items.all())

    def count() -> int:
        cache.active_risk_rules()
        with CaptureQueriesContext(connection) as queries:
            risk_assess(declaration=declaration, items=items, amended=True)
        return len(queries.captured_queries)

    kinds = [
        {"kind": RuleKind.HISTORY, "history_event": "fine", "history_months": 6},
        {"kind": RuleKind.WATCHLIST},
        {"kind": RuleKind.AEO},
        {"kind": RuleKind.UNDERVALUATION, "undervaluation_ratio": Decimal("0.5")},
        {"kind": RuleKind.GOODS, "hs_prefix": "06"},
    ]
    for n, fields in enumerate(kinds):
        make_rule(f"rule {n}", weight=1, **fields)
    few = count()
    for n, fields in enumerate(kinds * 4):
        make_rule(f"more {n}", weight=1, **fields)
    assert count() == few


def test_replan_scores_the_amended_version_and_keeps_the_higher_lane_once_controls_exist(
    importer, agencies, django_capture_on_commit_callbacks
):
    make_rule("Roses", hs_prefix="0603", weight=70)
    declaration = lodge(importer, mixed_payload(lrn="RISK-8"), django_capture_on_commit_callbacks)
    assert declaration.risk.lane == Lane.RED
    # Red: routing opened the physical inspection (clearance.inspections): controls exist.
    assert ControlTask.objects.filter(declaration=declaration).exists()
    payload = mixed_payload(lrn="RISK-8")
    payload["items"][0] = item(1, TEA)  # the roses are gone: the score drops to 0
    response = _amend(importer, declaration, payload, django_capture_on_commit_callbacks)
    assert response.status_code in (200, 201, 202), response.json()
    assessment = RiskAssessment.objects.get(declaration=declaration)
    assert assessment.version == 2 and assessment.score == 0
    assert assessment.lane == Lane.RED
    assert assessment.reasons[-1]["name"] == "Lane kept"
    assert not RuleHit.objects.filter(assessment=assessment).exists()


def test_replan_may_lower_the_lane_while_no_control_exists(
    importer, agencies, django_capture_on_commit_callbacks
):
    make_rule("Roses", hs_prefix="0603", weight=70)
    declaration = lodge(importer, mixed_payload(lrn="RISK-9"), django_capture_on_commit_callbacks)
    # Say routing's control had not been opened (the lane rule alone is pinned here).
    ControlTask.objects.filter(declaration=declaration).delete()
    payload = mixed_payload(lrn="RISK-9")
    payload["items"][0] = item(1, TEA)
    _amend(importer, declaration, payload, django_capture_on_commit_callbacks)
    assessment = RiskAssessment.objects.get(declaration=declaration)
    assert (assessment.version, assessment.score, assessment.lane) == (2, 0, Lane.GREEN)


def test_random_share_of_the_settings_selects_green_declarations(
    importer, agencies, django_capture_on_commit_callbacks
):
    RiskSettings.objects.create(random_share=100, random_lane=Lane.YELLOW)
    declaration = lodge(importer, mixed_payload(lrn="RISK-10"), django_capture_on_commit_callbacks)
    assert declaration.risk.random_selected and declaration.risk.lane == Lane.YELLOW
    assert declaration.risk.reasons[-1]["reason"] == "selected at random for control"


def _amend(user: Any, declaration: Declaration, payload: dict[str, Any], capture: Any) -> Any:
    with capture(execute=True):
        return client_for(user).post(
            f"/api/v1/declarations/{declaration.mrn}/amendments",
            {"declaration": copy.deepcopy(payload), "reason": "typo"},
            format="json",
        )
