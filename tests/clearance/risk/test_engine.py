"""The risk engine, pure: every rule kind, validity, once per declaration, lanes, determinism."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from clearance.models import Lane, RiskRule, RuleKind
from clearance.risk.engine import Context, Facts, Thresholds, assess, months_before, random_draw
from declarations.models import Declaration, GoodsItem

AT = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
KEY = b"test-key"


def rule(pk: int, kind: str = RuleKind.GOODS, weight: int = 10, **fields) -> RiskRule:
    values = {"name": f"rule {pk}", "reason": f"reason {pk}", "valid_from": date(2026, 1, 1)} | fields
    return RiskRule(pk=pk, kind=kind, weight=weight, **values)


def declaration(**fields) -> Declaration:
    values = {"mrn": "26GB0000000000001A", "direction": "import", "invoice_currency": "GBP"} | fields
    return Declaration(**values)


def goods(sequence: int, code: str = "85109000", **fields) -> GoodsItem:
    values = {
        "position": sequence,
        "sequence": sequence,
        "commodity_code": code,
        "hs_subheading": code[:6],
        "origin_country": "US",
        "procedure_code": "4000",
        "net_mass": Decimal("100"),
        "value_amount": Decimal("1000"),
        "value_currency": "GBP",
    } | fields
    return GoodsItem(**values)


def run(rules, items=None, facts=None, thresholds=None, **decl):
    context = Context(
        rules=tuple(rules),
        thresholds=thresholds or Thresholds(),
        at=AT,
        facts=facts or Facts(),
        random_key=KEY,
    )
    return assess(declaration(**decl), items if items is not None else [goods(1)], context)


# Goods ------------------------------------------------------------------------------------------


def test_goods_rule_matches_on_hs_prefix_and_names_the_item():
    result = run([rule(1, hs_prefix="0603", weight=30)], [goods(1), goods(2, "06031100")])
    assert result.score == 30
    assert result.reasons == [
        {
            "rule": 1,
            "name": "rule 1",
            "reason": "reason 1",
            "points": 30,
            "item": 2,
            "confidential": True,
            "detail": "",
        }
    ]


def test_goods_rule_needs_every_condition_on_one_item():
    """Origin on item 1 and HS prefix on item 2 is not a match: both must hold on the same item."""
    r = rule(1, hs_prefix="0603", origin_country="CO")
    assert run([r], [goods(1, origin_country="CO"), goods(2, "06031100")]).score == 0
    assert run([r], [goods(1, "06031100", origin_country="CO")]).score == 10


def test_goods_rule_on_procedure_code_prefix():
    r = rule(1, procedure_code="40")
    assert run([r], [goods(1, procedure_code="4000")]).score == 10
    assert run([r], [goods(1, procedure_code="5100")]).score == 0


def test_goods_rule_on_direction_only_names_no_item():
    r = rule(1, direction="export")
    assert run([r], direction="import").score == 0
    result = run([r], direction="export")
    assert result.score == 10 and result.reasons[0]["item"] is None


# Undervaluation ---------------------------------------------------------------------------------


MEDIANS = {("851090", "kg"): Decimal("20"), ("851020", "NAR"): Decimal("50")}


def test_undervaluation_per_kilogram_below_the_ratio_of_the_median():
    r = rule(1, RuleKind.UNDERVALUATION, weight=25, undervaluation_ratio=Decimal("0.30"))
    facts = Facts(medians=MEDIANS)
    # 1000 GBP for 100 kg = 10 GBP/kg: half the median, not below 30 % of it.
    assert run([r], [goods(1)], facts).score == 0
    # 500 GBP for 100 kg = 5/kg < 6 (30 % of 20).
    result = run([r], [goods(1, value_amount=Decimal("500"))], facts)
    assert result.score == 25
    assert result.reasons[0]["item"] == 1
    assert "5.00 GBP per kg; median 20.00" in result.reasons[0]["detail"]


def test_undervaluation_per_supplementary_unit_where_the_median_is_kept_per_unit():
    r = rule(1, RuleKind.UNDERVALUATION, undervaluation_ratio=Decimal("0.5"))
    facts = Facts(medians=MEDIANS)
    clippers = goods(
        1, "85102000", quantity=Decimal("100"), quantity_unit="NAR", value_amount=Decimal("2000")
    )
    assert run([r], [clippers], facts).score == 10  # 20 per piece < 25
    clippers.value_amount = Decimal("3000")
    assert run([r], [clippers], facts).score == 0  # 30 per piece


def test_undervaluation_converts_a_foreign_currency_and_skips_what_it_cannot_convert():
    r = rule(1, RuleKind.UNDERVALUATION, undervaluation_ratio=Decimal("0.30"))
    item = goods(1, value_amount=Decimal("600"), value_currency="USD")  # 600 USD / 1.2 = 500 GBP: 5/kg
    assert run([r], [item], Facts(medians=MEDIANS, rates={"USD": Decimal("1.2")})).score == 10
    assert run([r], [item], Facts(medians=MEDIANS)).score == 0  # no rate known: no judgement
    assert run([r], [goods(1, value_amount=Decimal("1"))], Facts()).score == 0  # no median known


def test_undervaluation_is_narrowed_by_goods_conditions():
    r = rule(1, RuleKind.UNDERVALUATION, undervaluation_ratio=Decimal("0.30"), origin_country="CN")
    cheap = goods(1, value_amount=Decimal("100"))
    assert run([r], [cheap], Facts(medians=MEDIANS)).score == 0
    cheap.origin_country = "CN"
    assert run([r], [cheap], Facts(medians=MEDIANS)).score == 10


# History ----------------------------------------------------------------------------------------


def test_history_counts_events_of_the_kind_within_the_months():
    r = rule(1, RuleKind.HISTORY, weight=40, history_event="seizure", history_months=12, history_min_count=2)
    recent = AT - timedelta(days=30)
    old = AT - timedelta(days=400)
    assert run([r], facts=Facts(history={"seizure": (recent, old)})).score == 0  # one in 12 months
    assert run([r], facts=Facts(history={"seizure": (recent, recent)})).score == 40
    assert run([r], facts=Facts(history={"fine": (recent, recent)})).score == 0  # another kind
    later = AT + timedelta(days=1)
    assert run([r], facts=Facts(history={"seizure": (recent, later)})).score == 0  # after acceptance


def test_history_without_months_counts_every_event():
    r = rule(1, RuleKind.HISTORY, history_event="fine", history_months=None)
    assert run([r], facts=Facts(history={"fine": (AT - timedelta(days=3000),)})).score == 10


def test_months_before_keeps_the_day_or_the_months_last():
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 12) == datetime(2025, 1, 15, tzinfo=UTC)


# Watchlist and AEO ------------------------------------------------------------------------------


def test_watchlist_rule_matches_a_watched_account_or_party():
    r = rule(1, RuleKind.WATCHLIST, weight=50)
    assert run([r]).score == 0
    assert run([r], facts=Facts(watched_account=True)).score == 50
    result = run([r], facts=Facts(watched_eoris=frozenset({"GB2", "GB1"})))
    assert result.score == 50 and result.reasons[0]["detail"] == "GB1, GB2"


def test_aeo_rule_for_any_tier_or_the_listed_tiers():
    any_tier = rule(1, RuleKind.AEO, weight=-30)
    safety = rule(2, RuleKind.AEO, weight=-10, aeo_tiers=["AEOS", "AEOF"])
    assert run([any_tier, safety]).score == 0  # no valid authorisation
    assert run([any_tier, safety], facts=Facts(aeo_tier="AEOC")).score == -30
    assert run([any_tier, safety], facts=Facts(aeo_tier="AEOF")).score == -40


# Validity, once, lanes --------------------------------------------------------------------------


def test_a_rule_applies_only_active_and_within_its_validity_on_the_acceptance_date():
    assert run([rule(1, valid_from=date(2026, 6, 16))]).score == 0
    assert run([rule(1, valid_from=date(2026, 6, 15))]).score == 10
    assert run([rule(1, valid_until=date(2026, 6, 14))]).score == 0
    assert run([rule(1, valid_until=date(2026, 6, 15))]).score == 10
    assert run([rule(1, is_active=False)]).score == 0


def test_a_rule_counts_once_per_declaration_with_the_first_item_that_triggered_it():
    items = [goods(3, "06031100"), goods(1, "06031200"), goods(2, "85109000")]
    items[0].position, items[1].position, items[2].position = 3, 1, 2
    result = run([rule(1, hs_prefix="0603", weight=30)], items)
    assert result.score == 30 and [r["item"] for r in result.reasons] == [1]


def test_lane_from_the_thresholds():
    thresholds = Thresholds(yellow_from=30, red_from=60)
    assert run([rule(1, weight=29)], thresholds=thresholds).lane == Lane.GREEN
    assert run([rule(1, weight=30)], thresholds=thresholds).lane == Lane.YELLOW
    assert run([rule(1, weight=60)], thresholds=thresholds).lane == Lane.RED
    assert run(
        [rule(1, weight=90), rule(2, RuleKind.AEO, weight=-40)], facts=Facts(aeo_tier="AEOC")
    ).lane == (Lane.YELLOW)


def test_every_point_traces_to_a_rule():
    rules = [rule(1, hs_prefix="85", weight=12), rule(2, origin_country="US", weight=7), rule(3, weight=-4)]
    result = run(rules)
    assert result.score == sum(r["points"] for r in result.reasons) == 15
    assert all(r["rule"] in {1, 2, 3} for r in result.reasons)


# Random selection -------------------------------------------------------------------------------


def test_random_selection_share_is_observed_and_the_same_on_every_run():
    thresholds = Thresholds(random_share=Decimal("5"), random_lane=Lane.YELLOW)
    mrns = [f"26GB{n:013d}A" for n in range(4000)]
    first = [run([], mrn=mrn, thresholds=thresholds) for mrn in mrns]
    selected = [r for r in first if r.random_selected]
    assert 0.035 < len(selected) / len(mrns) < 0.065
    assert all(r.lane == Lane.YELLOW and r.score == 0 for r in selected)
    assert selected[0].reasons[-1]["reason"] == "selected at random for control"
    assert selected[0].reasons[-1]["points"] == 0
    again = [run([], mrn=mrn, thresholds=thresholds).random_selected for mrn in mrns]
    assert again == [r.random_selected for r in first]


def test_random_selection_only_picks_green_declarations_and_depends_on_the_key():
    thresholds = Thresholds(random_share=Decimal("100"), random_lane=Lane.RED)
    assert run([rule(1, weight=30)], thresholds=thresholds).lane == Lane.YELLOW  # not green: no draw
    assert run([], thresholds=thresholds).random_selected
    assert random_draw(b"a", "26GB0000000000001A") != random_draw(b"b", "26GB0000000000001A")
    assert not run([], thresholds=Thresholds(random_share=Decimal("0"))).random_selected


# Determinism ------------------------------------------------------------------------------------


def _mixed_rules():
    return [
        rule(5, hs_prefix="85", weight=12),
        rule(2, origin_country="CN", weight=7),
        rule(9, RuleKind.WATCHLIST, weight=50),
        rule(3, RuleKind.AEO, weight=-30),
        rule(7, RuleKind.HISTORY, history_event="seizure", history_months=12, weight=40),
        rule(4, RuleKind.UNDERVALUATION, undervaluation_ratio=Decimal("0.9"), weight=25),
    ]


FACTS = Facts(
    watched_eoris=frozenset({"GB3", "GB1", "GB2"}),
    aeo_tier="AEOS",
    history={"seizure": (AT - timedelta(days=5),)},
    medians=MEDIANS,
)


def test_same_input_gives_the_same_score_and_reasons_in_any_order():
    items = [goods(1), goods(2, "85102000", origin_country="CN")]
    expected = run(_mixed_rules(), items, FACTS)
    for seed in range(5):
        rules, shuffled = _mixed_rules(), list(items)
        random.Random(seed).shuffle(rules)
        random.Random(seed).shuffle(shuffled)
        assert run(rules, shuffled, FACTS) == expected
    assert [r["rule"] for r in expected.reasons] == [2, 3, 4, 5, 7, 9]


_CHILD = """
import django, json
django.setup()
from tests.clearance.risk.test_engine import _mixed_rules, run, goods, FACTS
result = run(_mixed_rules(), [goods(1), goods(2, "85102000", origin_country="CN")], FACTS)
print(json.dumps([result.score, result.lane, result.reasons], sort_keys=True))
"""


def test_same_answer_in_other_processes_whatever_their_hash_seed():
    """No dict or set order leaks into the answer: processes with other hash seeds agree."""
    answers = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed, DJANGO_SETTINGS_MODULE="singlewindow.settings")
        out = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True
        ).stdout
        answers.add(out.strip().splitlines()[-1])
    assert len(answers) == 1
    score, lane, reasons = json.loads(answers.pop())
    assert score == sum(r["points"] for r in reasons)


def test_an_unknown_rule_kind_raises_so_the_service_can_fall_back():
    with pytest.raises(ValueError, match="unknown rule kind"):
        run([rule(1, kind="bogus")])
