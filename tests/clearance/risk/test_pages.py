"""Supervisors' risk pages: access (404 for everyone else), rule validation, the audit trail,
deactivation, thresholds, the dry run (writes nothing), and the risk part of the declaration pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clearance.models import ControlTask, Lane, RiskRule, RiskSettings, RuleHit, RuleKind
from singlewindow.models import AuditEvent
from tests.agencies.fixtures import ROSES, item, lodge, mixed_payload, payload_with
from tests.factories import UserFactory

from .helpers import make_rule

pytestmark = pytest.mark.django_db


def rule_data(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "Roses from Colombia",
        "reason": "plants of chapter 06 from a high-risk origin",
        "kind": "goods",
        "weight": "30",
        "direction": "",
        "hs_prefix": "06",
        "origin_country": "CO",
        "procedure_code": "",
        "undervaluation_ratio": "",
        "history_event": "",
        "history_months": "",
        "history_min_count": "1",
        "confidential": "on",
        "valid_from": "2020-01-01",
        "valid_until": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


URLS = [
    "/clearance/risk/rules/",
    "/clearance/risk/rules/new/",
    "/clearance/risk/settings/",
]


@pytest.mark.parametrize("role", ["trader", "broker", "officer", "cashier"])
def test_only_supervisors_and_admins_reach_the_risk_pages(client, role, customs_officer):
    rule = make_rule()
    user = customs_officer if role == "officer" else UserFactory(role=role)
    client.force_login(user)
    for url in [*URLS, f"/clearance/risk/rules/{rule.pk}/", f"/clearance/risk/dry-run/?rule={rule.pk}"]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/clearance/risk/rules/{rule.pk}/deactivate/").status_code == 404
    assert client.post("/clearance/risk/dry-run/", rule_data()).status_code == 404
    assert client.post("/clearance/risk/rules/new/", rule_data()).status_code == 404
    assert RiskRule.objects.count() == 1 and RiskRule.objects.get().is_active


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_see_the_pages(client, role):
    make_rule()
    client.force_login(UserFactory(role=role))
    for url in URLS:
        assert client.get(url).status_code == 200, url


def test_a_forged_rule_id_is_404(client, supervisor):
    client.force_login(supervisor)
    for url in [
        "/clearance/risk/rules/999999/",
        "/clearance/risk/dry-run/?rule=999999",
        "/clearance/risk/dry-run/?rule=1%20OR%201=1",
        "/clearance/risk/dry-run/?rule=99999999999999999999999",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post("/clearance/risk/rules/999999/deactivate/").status_code == 404


def test_a_supervisor_creates_a_rule_and_the_change_is_audited(client, supervisor):
    client.force_login(supervisor)
    response = client.post("/clearance/risk/rules/new/", rule_data())
    assert response.status_code == 302
    rule = RiskRule.objects.get()
    assert (rule.hs_prefix, rule.origin_country, rule.weight, rule.created_by) == ("06", "CO", 30, supervisor)
    created = AuditEvent.objects.get(action="clearance.risk.rule_created")
    assert created.actor == supervisor and created.data["hs_prefix"] == "06"
    response = client.post(f"/clearance/risk/rules/{rule.pk}/", rule_data(weight="45"))
    assert response.status_code == 302
    changed = AuditEvent.objects.get(action="clearance.risk.rule_changed")
    assert changed.data == {"before": {"weight": 30}, "after": {"weight": 45}}
    page = client.get(f"/clearance/risk/rules/{rule.pk}/").content.decode()
    assert "Risk rule changed" in page and "supervisor" in page


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hs_prefix": "06a"}, "hs_prefix"),
        ({"origin_country": "XX"}, "origin_country"),
        ({"weight": "101"}, "weight"),
        ({"weight": "-101"}, "weight"),
        ({"valid_until": "2019-12-31"}, "valid_until"),
        ({"history_event": "seizure"}, "history_event"),  # not for a goods rule
        ({"kind": "undervaluation"}, "undervaluation_ratio"),  # needed
        ({"kind": "history", "hs_prefix": "", "origin_country": ""}, "history_event"),
        ({"kind": "watchlist"}, "hs_prefix"),  # a watchlist rule takes no goods condition
        ({"procedure_code": "40000"}, "procedure_code"),
        ({"name": "x" * 5000}, "name"),
    ],
)
def test_rule_validation(client, supervisor, changes, field):
    client.force_login(supervisor)
    response = client.post("/clearance/risk/rules/new/", rule_data(**changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not RiskRule.objects.exists()


def test_a_goods_rule_needs_a_condition(client, supervisor):
    client.force_login(supervisor)
    response = client.post("/clearance/risk/rules/new/", rule_data(hs_prefix="", origin_country=""))
    assert response.status_code == 400 and "There is a problem" in response.content.decode()


def test_deactivating_a_rule_is_audited_and_stops_it_scoring(
    client, supervisor, importer, agencies, django_capture_on_commit_callbacks
):
    rule = make_rule("Roses", hs_prefix="0603", weight=70)
    client.force_login(supervisor)
    assert client.post(f"/clearance/risk/rules/{rule.pk}/deactivate/").status_code == 302
    rule.refresh_from_db()
    assert not rule.is_active
    assert AuditEvent.objects.filter(action="clearance.risk.rule_deactivated", actor=supervisor).exists()
    declaration = lodge(importer, mixed_payload(lrn="RISK-P1"), django_capture_on_commit_callbacks)
    assert declaration.risk.lane == Lane.GREEN


def test_thresholds_page_saves_and_audits(client, supervisor):
    client.force_login(supervisor)
    response = client.post(
        "/clearance/risk/settings/",
        {"yellow_from": "20", "red_from": "50", "random_share": "5", "random_lane": "yellow"},
    )
    assert response.status_code == 302
    row = RiskSettings.objects.get()
    assert (row.yellow_from, row.red_from, str(row.random_share), row.updated_by) == (
        20,
        50,
        "5.00",
        supervisor,
    )
    assert AuditEvent.objects.get(action="clearance.risk.settings_changed").data["after"]["red_from"] == 50
    bad = client.post(
        "/clearance/risk/settings/",
        {"yellow_from": "50", "red_from": "40", "random_share": "101", "random_lane": "green"},
    )
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"red_from", "random_share", "random_lane"}


def test_rules_list_shows_hit_rates_in_a_constant_number_of_queries(
    client, supervisor, importer, agencies, django_capture_on_commit_callbacks
):
    rule = make_rule("Roses", hs_prefix="0603", weight=70)
    lodge(importer, mixed_payload(lrn="RISK-P2"), django_capture_on_commit_callbacks)
    lodge(importer, mixed_payload(lrn="RISK-P3"), django_capture_on_commit_callbacks)
    RuleHit.objects.filter(rule=rule).update(outcome="compliant")
    RuleHit.objects.filter(pk=RuleHit.objects.filter(rule=rule).first().pk).update(outcome="non_compliant")
    client.force_login(supervisor)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/clearance/risk/rules/")
        assert response.status_code == 200
        return len(queries.captured_queries)

    few = count()
    page = client.get("/clearance/risk/rules/").content.decode()
    assert "50 %" in page and "1 of 2 controlled" in page
    for n in range(10):
        make_rule(f"rule {n}", hs_prefix="85", weight=n)
    assert count() == few


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")
        and "django_session" not in q["sql"]
        and "last_login" not in q["sql"]
    ]


def test_dry_run_of_a_rule_being_written_lists_the_hits_and_writes_nothing(
    client, supervisor, importer, agencies, django_capture_on_commit_callbacks
):
    hit = lodge(
        importer, payload_with(item(1, ROSES, origin="CO"), lrn="RISK-D1"), django_capture_on_commit_callbacks
    )
    lodge(
        importer, payload_with(item(1, ROSES, origin="NL"), lrn="RISK-D2"), django_capture_on_commit_callbacks
    )
    lodge(importer, mixed_payload(lrn="RISK-D3"), django_capture_on_commit_callbacks)
    ControlTask.objects.create(
        declaration=hit, kind="physical", agency=agencies["customs"], outcome="non_compliant"
    )
    client.force_login(supervisor)
    before = (RiskRule.objects.count(), AuditEvent.objects.count(), RuleHit.objects.count())
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/clearance/risk/dry-run/", rule_data(days="30"))
    assert response.status_code == 200
    result = response.context["result"]
    assert [h.declaration.mrn for h in result.hits] == [hit.mrn]
    assert result.hits[0].points == 30 and result.hits[0].item == 1
    assert result.non_compliant == 1
    assert "1 of them had a non-compliant control outcome" in response.content.decode()
    assert _writes(queries) == []
    assert (RiskRule.objects.count(), AuditEvent.objects.count(), RuleHit.objects.count()) == before


def test_dry_run_of_a_saved_rule_and_its_cap(
    client, supervisor, importer, agencies, django_capture_on_commit_callbacks, monkeypatch
):
    rule = make_rule("Chapter 85", hs_prefix="85", weight=10)
    for n in range(3):
        lodge(importer, mixed_payload(lrn=f"RISK-C{n}"), django_capture_on_commit_callbacks)
    client.force_login(supervisor)
    response = client.get(f"/clearance/risk/dry-run/?rule={rule.pk}")
    assert response.status_code == 200 and len(response.context["result"].hits) == 3
    monkeypatch.setattr("clearance.risk.dryrun.DEFAULT_CAP", 2)
    monkeypatch.setattr("clearance.risk.views.dry_run", _capped(2))
    response = client.get(f"/clearance/risk/dry-run/?rule={rule.pk}")
    assert response.context["result"].capped and len(response.context["result"].hits) == 2
    assert "Only the newest" in response.content.decode()


def _capped(cap: int) -> Any:
    from clearance.risk.dryrun import dry_run

    return lambda rule, days: dry_run(rule, days=days, cap=cap)


def test_dry_run_queries_do_not_grow_with_the_candidates(
    client, supervisor, importer, agencies, django_capture_on_commit_callbacks
):
    rule = make_rule("Watched", kind=RuleKind.WATCHLIST, weight=10)
    lodge(importer, mixed_payload(lrn="RISK-Q1"), django_capture_on_commit_callbacks)
    client.force_login(supervisor)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/clearance/risk/dry-run/?rule={rule.pk}")
        return len(queries.captured_queries)

    few = count()
    for n in range(4):
        lodge(importer, mixed_payload(lrn=f"RISK-Q{n + 2}"), django_capture_on_commit_callbacks)
    assert count() == few


def test_dry_run_rejects_huge_input(client, supervisor):
    client.force_login(supervisor)
    response = client.post("/clearance/risk/dry-run/", rule_data(hs_prefix="0" * 5000, days="99999"))
    assert response.status_code == 400
    assert client.get("/clearance/risk/dry-run/?" + "x=1&" * 3000).status_code == 404


def test_supervisor_declaration_page_shows_score_reasons_and_lane(
    client, supervisor, importer, agencies, django_capture_on_commit_callbacks
):
    make_rule("Roses", hs_prefix="0603", weight=70, reason="plants of chapter 06")
    declaration = lodge(importer, mixed_payload(lrn="RISK-V1"), django_capture_on_commit_callbacks)
    client.force_login(supervisor)
    page = client.get(f"/clearance/declarations/{declaration.mrn}/").content.decode()
    assert "Risk assessment" in page and "Score 70" in page
    assert "plants of chapter 06" in page and "Physical inspection" in page


def test_trader_declaration_page_shows_the_lane_in_plain_words_without_rules(
    client, importer, agencies, django_capture_on_commit_callbacks
):
    make_rule("Secret roses rule", hs_prefix="0603", weight=40, reason="secret reason")
    declaration = lodge(importer, mixed_payload(lrn="RISK-V2"), django_capture_on_commit_callbacks)
    client.force_login(importer)
    page = client.get(f"/declarations/{declaration.mrn}/").content.decode()
    assert "Documentary check by customs" in page
    assert "Secret roses rule" not in page and "secret reason" not in page and "Score" not in page


def test_supervisor_nav_links_to_the_risk_rules(client, supervisor):
    client.force_login(supervisor)
    assert "/clearance/risk/rules/" in client.get("/clearance/").content.decode()
