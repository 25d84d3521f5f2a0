"""The risk engine: a declaration's score, lane and reasons from the rules and prepared facts.

Pure: nothing here reads or writes the database. The caller (``clearance.risk.services``) loads the
rules, the thresholds and the facts about the trader account and the parties (``Facts``) and passes
them in a ``Context``; the same input always gives the same ``Result``, in any process (rules are
taken in primary-key order, items in declared order; nothing depends on the order of a dict or a
set).

Explainable: every point of the score is a reason naming the rule that gave it
(``{"rule", "name", "reason", "points", "item", "confidential", "detail"}``). A rule counts at most
once per declaration, with the first goods item (in declared order) that triggered it; it applies
only while active and valid on the acceptance date (``valid_from`` … ``valid_until``).

Lanes: ``red`` from ``red_from`` points, ``yellow`` from ``yellow_from``, ``green`` below. A green
declaration is selected at random for control with probability ``random_share`` %: the draw is
HMAC(key, MRN) mapped to [0, 100), so it is the same every time for a declaration (auditable) but
cannot be foreseen by a trader who does not know the key (derived from ``SECRET_KEY``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from declarations.models import Declaration, GoodsItem

from ..models import Lane, RiskRule, RuleKind

UNIT_KG = "kg"
_LANE_RANK = {Lane.GREEN.value: 0, Lane.YELLOW.value: 1, Lane.RED.value: 2}


def lane_rank(lane: str) -> int:
    return _LANE_RANK.get(str(lane), 0)


@dataclass(frozen=True)
class Thresholds:
    yellow_from: int = 30
    red_from: int = 60
    random_share: Decimal = Decimal(0)
    random_lane: str = Lane.YELLOW.value


@dataclass(frozen=True)
class Facts:
    """What the engine knows beyond the declaration: read by the service in a few queries.

    ``history``: occurrence times of the trader account's compliance events per kind (only those a
    history rule may count); ``watched_account``: the trader account is on an active watchlist
    entry; ``watched_eoris``: the party identifiers of the declaration on one; ``aeo_tier``: the
    account's AEO tier when valid on the acceptance date, else ""; ``medians``: the median value
    per unit in the national currency by (HS subheading, unit); ``rates``: units of a currency for
    one unit of the national currency.
    """

    history: Mapping[str, Sequence[datetime]] = field(default_factory=dict)
    watched_account: bool = False
    watched_eoris: frozenset[str] = frozenset()
    aeo_tier: str = ""
    medians: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    rates: Mapping[str, Decimal] = field(default_factory=dict)
    home_currency: str = "GBP"


@dataclass(frozen=True)
class Context:
    rules: tuple[RiskRule, ...]
    thresholds: Thresholds
    at: datetime  # the acceptance time: validity, history windows and AEO are judged on it
    facts: Facts = field(default_factory=Facts)
    random_key: bytes = b""

    @property
    def on(self) -> date:
        return self.at.date()


@dataclass(frozen=True)
class Result:
    score: int
    lane: str
    reasons: list[dict[str, Any]]
    random_selected: bool = False

    @property
    def hits(self) -> list[tuple[int, int]]:
        """(rule id, points) of each rule that matched."""
        return [(r["rule"], r["points"]) for r in self.reasons if r["rule"] is not None]


# Rules ------------------------------------------------------------------------------------------


def rule_in_force(rule: RiskRule, on: date) -> bool:
    if not rule.is_active or on < rule.valid_from:
        return False
    return rule.valid_until is None or on <= rule.valid_until


def _goods_item_matches(rule: RiskRule, item: GoodsItem) -> bool:
    if rule.hs_prefix and not (item.commodity_code or "").startswith(rule.hs_prefix):
        return False
    if rule.origin_country and (item.origin_country or "").upper() != rule.origin_country.upper():
        return False
    return not (rule.procedure_code and not (item.procedure_code or "").startswith(rule.procedure_code))


def _has_item_condition(rule: RiskRule) -> bool:
    return bool(rule.hs_prefix or rule.origin_country or rule.procedure_code)


def _direction_matches(rule: RiskRule, declaration: Declaration) -> bool:
    return not rule.direction or rule.direction == declaration.direction


def months_before(at: datetime, months: int) -> datetime:
    """``at`` moved back by whole calendar months (the 31st becomes the month's last day)."""
    total = at.year * 12 + (at.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    for day in (at.day, 30, 29, 28):
        try:
            return at.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError("no such month")  # pragma: no cover - day 28 exists in every month


def item_value_home(item: GoodsItem, declaration: Declaration, facts: Facts) -> Decimal | None:
    """The item's declared value in the national currency, or None when it cannot be converted."""
    amount, currency = item.value_amount, item.value_currency or declaration.invoice_currency
    if amount is None and item.statistical_value is not None:
        amount, currency = item.statistical_value, item.statistical_currency
    if amount is None:
        return None
    currency = (currency or facts.home_currency).upper()
    if currency == facts.home_currency:
        return Decimal(amount)
    rate = facts.rates.get(currency)
    if rate is None or rate <= 0:
        return None
    return Decimal(amount) / rate


def value_per_unit(
    item: GoodsItem, declaration: Declaration, facts: Facts
) -> tuple[Decimal, str, Decimal] | None:
    """(value per unit, unit, median) for the item, where a median of its subheading is known.

    Per supplementary unit when the subheading's median is kept per that unit, else per kilogram of
    net mass; None when the value, the quantity or the median is missing.
    """
    value = item_value_home(item, declaration, facts)
    if value is None:
        return None
    subheading = item.hs_subheading or (item.commodity_code or "")[:6]
    unit = (item.quantity_unit or "").strip()
    if unit and item.quantity and item.quantity > 0:
        median = facts.medians.get((subheading, unit))
        if median is not None:
            return value / Decimal(item.quantity), unit, median
    if item.net_mass and item.net_mass > 0:
        median = facts.medians.get((subheading, UNIT_KG))
        if median is not None:
            return value / Decimal(item.net_mass), UNIT_KG, median
    return None


def _undervalued(
    rule: RiskRule, item: GoodsItem, declaration: Declaration, facts: Facts
) -> tuple[Decimal, str, Decimal] | None:
    ratio = rule.undervaluation_ratio
    if ratio is None:
        return None
    found = value_per_unit(item, declaration, facts)
    if found is None:
        return None
    per_unit, unit, median = found
    return found if per_unit < Decimal(ratio) * median else None


def _money(value: Decimal) -> str:
    try:
        return str(value.quantize(Decimal("0.01")))
    except InvalidOperation:  # pragma: no cover - absurdly large values
        return str(value)


def rule_match(
    rule: RiskRule,
    declaration: Declaration,
    items: Sequence[GoodsItem],
    facts: Facts,
    at: datetime,
) -> tuple[bool, int | None, str]:
    """Whether ``rule`` matches: (matched, the item that triggered it, a detail for officers)."""
    kind = rule.kind
    if kind in (RuleKind.GOODS, RuleKind.UNDERVALUATION) and not _direction_matches(rule, declaration):
        return False, None, ""
    if kind == RuleKind.GOODS:
        if not _has_item_condition(rule):
            return True, None, ""
        for item in items:
            if _goods_item_matches(rule, item):
                return True, item.sequence, ""
        return False, None, ""
    if kind == RuleKind.UNDERVALUATION:
        for item in items:
            if not _goods_item_matches(rule, item):
                continue
            found = _undervalued(rule, item, declaration, facts)
            if found is not None:
                per_unit, unit, median = found
                detail = _("%(value)s %(currency)s per %(unit)s; median %(median)s") % {
                    "value": _money(per_unit),
                    "currency": facts.home_currency,
                    "unit": unit,
                    "median": _money(median),
                }
                return True, item.sequence, detail
        return False, None, ""
    if kind == RuleKind.HISTORY:
        if not rule.history_event:
            return False, None, ""
        since = months_before(at, rule.history_months) if rule.history_months else None
        count = sum(
            1
            for when in facts.history.get(rule.history_event, ())
            if when <= at and (since is None or when >= since)
        )
        wanted = max(1, rule.history_min_count or 1)
        if count >= wanted:
            return True, None, _("%(count)s in the period") % {"count": count}
        return False, None, ""
    if kind == RuleKind.WATCHLIST:
        if facts.watched_account or facts.watched_eoris:
            watched = sorted(facts.watched_eoris)
            return True, None, ", ".join(watched) if watched else _("the trader account")
        return False, None, ""
    if kind == RuleKind.AEO:
        tiers = [str(t) for t in (rule.aeo_tiers or [])]
        if facts.aeo_tier and (not tiers or facts.aeo_tier in tiers):
            return True, None, facts.aeo_tier
        return False, None, ""
    raise ValueError(f"unknown rule kind {kind!r}")


def rule_hit(
    rule: RiskRule, declaration: Declaration, items: Sequence[GoodsItem], facts: Facts, at: datetime
) -> dict[str, Any] | None:
    """The reason ``rule`` adds to the declaration's assessment, or None when it does not apply."""
    if not rule_in_force(rule, at.date()):
        return None
    matched, item, detail = rule_match(rule, declaration, items, facts, at)
    if not matched:
        return None
    return {
        "rule": rule.pk,
        "name": rule.name,
        "reason": rule.reason,
        "points": int(rule.weight),
        "item": item,
        "confidential": bool(rule.confidential),
        "detail": detail,
    }


# Lanes ------------------------------------------------------------------------------------------


def lane_for(score: int, thresholds: Thresholds) -> str:
    if score >= thresholds.red_from:
        return Lane.RED.value
    if score >= thresholds.yellow_from:
        return Lane.YELLOW.value
    return Lane.GREEN.value


def random_draw(key: bytes, mrn: str) -> Decimal:
    """The declaration's draw in [0, 100): HMAC-SHA256 of its MRN under ``key``."""
    digest = hmac.new(key, (mrn or "").encode(), hashlib.sha256).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) * 100 / Decimal(2**64)


def randomly_selected(key: bytes, mrn: str | None, share: Decimal) -> bool:
    if not mrn or share <= 0:
        return False
    return random_draw(key, mrn) < share


def random_reason() -> dict[str, Any]:
    return {
        "rule": None,
        "name": _("Random selection"),
        "reason": _("selected at random for control"),
        "points": 0,
        "item": None,
        # Telling a trader its control is random would tell it that no rule targets its goods.
        "confidential": True,
        "detail": "",
    }


def assess(declaration: Declaration, items: Iterable[GoodsItem], context: Context) -> Result:
    """Score the declaration: every rule in primary-key order, once each; then the lane."""
    ordered = sorted(items, key=lambda i: (i.position, i.sequence))
    reasons = []
    for rule in sorted(context.rules, key=lambda r: r.pk):
        hit = rule_hit(rule, declaration, ordered, context.facts, context.at)
        if hit is not None:
            reasons.append(hit)
    score = sum(r["points"] for r in reasons)
    lane = lane_for(score, context.thresholds)
    selected = False
    if lane == Lane.GREEN.value and randomly_selected(
        context.random_key, declaration.mrn, context.thresholds.random_share
    ):
        lane = context.thresholds.random_lane
        selected = lane != Lane.GREEN.value
        if selected:
            reasons.append(random_reason())
    return Result(score=score, lane=lane, reasons=reasons, random_selected=selected)
