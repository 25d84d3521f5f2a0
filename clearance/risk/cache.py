"""The risk rules and thresholds, kept per process and checked for freshness before use.

As ``agencies.routing`` does for routing rules: rules and settings change rarely (a supervisor edits
them) but are read for every routed declaration. Each process keeps them; before use one statement
compares the tables' stamp (row count and row versions, PostgreSQL) with the cached one, and only a
change reloads them (two queries). Within ``SW_RISK_REFRESH_SECONDS`` of the last check nothing is
read (default 0: a supervisor's change applies to the next declaration). A save in this process
resets the cache at once (``risk_cache_reset``); other processes see the change through the stamp.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection

from ..models import RiskRule, RiskSettings
from .engine import Thresholds

DEFAULT_REFRESH_SECONDS = 0.0
_clock: Callable[[], float] = time.monotonic  # tests move the clock without sleeping


@dataclass(frozen=True)
class _RiskData:
    rules: tuple[RiskRule, ...]
    thresholds: Thresholds
    stamp: tuple[Any, ...] | None  # None: not cacheable (not PostgreSQL)
    checked_at: float


_state: _RiskData | None = None


def risk_cache_reset(**_kwargs: Any) -> None:
    """Forget the cached rules and settings (connected to save and delete of both models)."""
    global _state
    _state = None


_STAMP_SQL = """
SELECT (SELECT count(*) FROM clearance_riskrule),
       (SELECT coalesce(sum(xmin::text::bigint), 0) FROM clearance_riskrule),
       (SELECT count(*) FROM clearance_risksettings),
       (SELECT coalesce(sum(xmin::text::bigint), 0) FROM clearance_risksettings)
"""


def _read_stamp() -> tuple[Any, ...] | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def risk_settings() -> RiskSettings:
    """The one settings row, created with the model's defaults on first read."""
    row = RiskSettings.objects.order_by("pk").first()
    if row is None:
        row = RiskSettings.objects.create()
    return row


def thresholds_of(row: RiskSettings) -> Thresholds:
    return Thresholds(
        yellow_from=int(row.yellow_from),
        red_from=int(row.red_from),
        random_share=Decimal(row.random_share or 0),
        random_lane=str(row.random_lane),
    )


def _risk_data() -> _RiskData:
    global _state
    now = _clock()
    state = _state
    refresh = float(getattr(settings, "SW_RISK_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS))
    if state is not None and state.stamp is not None and now - state.checked_at < refresh:
        return state
    stamp = _read_stamp()
    if state is not None and stamp is not None and stamp == state.stamp:
        state = _RiskData(rules=state.rules, thresholds=state.thresholds, stamp=stamp, checked_at=now)
    else:
        rules = tuple(RiskRule.objects.filter(is_active=True).order_by("pk"))
        row = RiskSettings.objects.order_by("pk").first()
        if row is None:
            row = RiskSettings.objects.create()
            stamp = _read_stamp()  # the new row changed it
        state = _RiskData(rules=rules, thresholds=thresholds_of(row), stamp=stamp, checked_at=now)
    _state = state
    return state


def rules_and_thresholds() -> tuple[tuple[RiskRule, ...], Thresholds]:
    """Both at once (one freshness check)."""
    data = _risk_data()
    return data.rules, data.thresholds


def active_risk_rules() -> tuple[RiskRule, ...]:
    """The active rules in primary-key order (validity is judged per declaration by the engine)."""
    return _risk_data().rules


def current_thresholds() -> Thresholds:
    return _risk_data().thresholds
