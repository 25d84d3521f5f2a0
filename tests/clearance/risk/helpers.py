"""Rules and facts for the risk tests, made as a supervisor's save makes them (the cache resets)."""

from __future__ import annotations

from datetime import date
from typing import Any

from clearance.models import RiskRule, RuleKind


def make_rule(
    name: str = "Cut flowers", *, kind: str = RuleKind.GOODS, weight: int = 70, **fields: Any
) -> RiskRule:
    values: dict[str, Any] = {
        "reason": f"{name.lower()}",
        "valid_from": date(2020, 1, 1),
    } | fields
    return RiskRule.objects.create(name=name, kind=kind, weight=weight, **values)
