"""Reads of oversight: the watchlists, the AEO register and the dashboard's figures.

Every list is one query whatever its length; the dashboard aggregates in SQL (GROUP BY), three
queries whatever the number of assessments in the period.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import TraderAccount

from ..models import ControlOutcome, ControlStatus, Lane, RiskAssessment, RuleHit, WatchlistEntry

# --- watchlists -----------------------------------------------------------------------------------


class WatchlistShow(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REMOVED = "removed"
    ALL = "all"


def watchlist_entries(
    *, show: WatchlistShow | str = WatchlistShow.ACTIVE, text: str = "", agency: str = ""
) -> QuerySet[WatchlistEntry]:
    """Watchlist entries, newest first, with their agency, who added and removed them, and the
    linked trader account (one query). ``show``: active (not removed, not past its validity; the
    default), expired, removed, all. ``text``: the EORI (exact) or part of the name; ``agency``: code."""
    today = timezone.localdate()
    entries = WatchlistEntry.objects.select_related("agency", "added_by", "removed_by", "trader_account")
    in_force = Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    show = WatchlistShow(show)
    if show is WatchlistShow.ACTIVE:
        entries = entries.filter(in_force, removed_at__isnull=True)
    elif show is WatchlistShow.EXPIRED:
        entries = entries.filter(removed_at__isnull=True, valid_until__lt=today)
    elif show is WatchlistShow.REMOVED:
        entries = entries.filter(removed_at__isnull=False)
    text = text.strip()
    if text:
        entries = entries.filter(Q(eori=text.upper()) | Q(name__icontains=text))
    if agency:
        entries = entries.filter(agency__code=agency)
    return entries.order_by("-added_at", "-pk")


# --- AEO register ---------------------------------------------------------------------------------

EXPIRING_WITHIN_DAYS = 60


class AeoShow(enum.StrEnum):
    AUTHORISED = "authorised"  # every account with a tier, valid or not
    EXPIRING = "expiring"
    EXPIRED = "expired"
    ALL = "all"  # every trader account, to grant one


def aeo_accounts(*, show: AeoShow | str = AeoShow.AUTHORISED, text: str = "") -> QuerySet[TraderAccount]:
    """Trader accounts for the AEO register, by name (one query)."""
    today = timezone.localdate()
    accounts = TraderAccount.objects.all()
    show = AeoShow(show)
    if show is AeoShow.AUTHORISED:
        accounts = accounts.exclude(aeo_tier="")
    elif show is AeoShow.EXPIRING:
        accounts = accounts.exclude(aeo_tier="").filter(
            aeo_valid_until__gte=today, aeo_valid_until__lte=today + timedelta(days=EXPIRING_WITHIN_DAYS)
        )
    elif show is AeoShow.EXPIRED:
        accounts = accounts.exclude(aeo_tier="").filter(aeo_valid_until__lt=today)
    text = text.strip()
    if text:
        accounts = accounts.filter(Q(eori=text.upper()) | Q(name__icontains=text) | Q(aeo_reference=text))
    return accounts.order_by("name", "pk")


class AeoState(enum.StrEnum):
    NONE = "none"
    VALID = "valid"
    EXPIRING = "expiring"  # valid, ends within EXPIRING_WITHIN_DAYS
    NOT_YET = "not_yet"
    EXPIRED = "expired"


def aeo_state(account: TraderAccount, today: date | None = None) -> AeoState:
    """Where an account's AEO authorisation stands today (no query)."""
    today = today or timezone.localdate()
    if not account.aeo_tier:
        return AeoState.NONE
    if account.aeo_valid_from is not None and today < account.aeo_valid_from:
        return AeoState.NOT_YET
    until = account.aeo_valid_until
    if until is not None and until < today:
        return AeoState.EXPIRED
    if until is not None and until <= today + timedelta(days=EXPIRING_WITHIN_DAYS):
        return AeoState.EXPIRING
    return AeoState.VALID


# --- the risk dashboard ---------------------------------------------------------------------------

DEFAULT_PERIOD_DAYS = 90
LANES = [Lane.GREEN, Lane.YELLOW, Lane.RED]


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        """Exclusive: the start of the day after ``last``."""
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @classmethod
    def default(cls, today: date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(first=today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), last=today)


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in per cent, one decimal; None when there is nothing to divide."""
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class WeekLanes:
    week: date  # the Monday
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def lane_mix(period: Period) -> list[WeekLanes]:
    """Declarations assessed per lane and week (Monday first), every week of the period shown
    even when empty: one GROUP BY query."""
    rows = (
        RiskAssessment.objects.filter(assessed_at__gte=period.start, assessed_at__lt=period.end)
        .annotate(week=TruncWeek("assessed_at"))
        .values("week", "lane")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_week: dict[date, dict[str, int]] = {}
    for row in rows:
        week = row["week"]
        day = timezone.localdate(week) if isinstance(week, datetime) else week
        by_week.setdefault(day, {})[row["lane"]] = by_week.get(day, {}).get(row["lane"], 0) + row["n"]
    monday = period.first - timedelta(days=period.first.weekday())
    weeks = []
    while monday <= period.last:
        counts = by_week.get(monday, {})
        weeks.append(WeekLanes(week=monday, counts={lane.value: counts.get(lane.value, 0) for lane in LANES}))
        monday += timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class RuleRate:
    rule_id: int
    name: str
    hit: int  # declarations the rule added points to
    controlled: int  # of those, with their control completed
    non_compliant: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.non_compliant, self.controlled)


def rule_hit_rates(period: Period) -> list[RuleRate]:
    """Per rule, over the declarations assessed in the period: how many it hit, how many of those
    were controlled (the hit's outcome is known) and found non-compliant. One GROUP BY query;
    the highest hit rate first."""
    rows = (
        RuleHit.objects.filter(
            assessment__assessed_at__gte=period.start, assessment__assessed_at__lt=period.end
        )
        .values("rule_id", "rule__name")
        .annotate(
            hit=Count("pk"),
            controlled=Count("pk", filter=~Q(outcome="")),
            non_compliant=Count("pk", filter=Q(outcome=ControlOutcome.NON_COMPLIANT)),
        )
        .order_by()
    )
    rates = [
        RuleRate(
            rule_id=row["rule_id"],
            name=row["rule__name"],
            hit=row["hit"],
            controlled=row["controlled"],
            non_compliant=row["non_compliant"],
        )
        for row in rows
    ]
    return sorted(rates, key=lambda r: (-(r.rate if r.rate is not None else Decimal(-1)), -r.hit, r.name))


@dataclass(frozen=True)
class ControlRate:
    key: str  # a lane, or "random" / "risk" for the sample
    assessed: int
    controlled: int
    non_compliant: int

    @property
    def compliant(self) -> int:
        return self.controlled - self.non_compliant

    @property
    def rate(self) -> Decimal | None:
        """Non-compliant share of the controlled declarations (the hit rate)."""
        return percent(self.non_compliant, self.controlled)

    @property
    def compliance(self) -> Decimal | None:
        return percent(self.compliant, self.controlled)


@dataclass(frozen=True)
class ControlFigures:
    lanes: list[ControlRate]
    random: ControlRate  # selected at random out of the green lane
    risk: ControlRate  # sent to control by their score (yellow or red, not at random)


def control_figures(period: Period, weeks: list[WeekLanes]) -> ControlFigures:
    """Controlled and non-compliant declarations per lane, and for the random sample against the
    risk-selected ones, over the declarations assessed in the period. A declaration counts as
    controlled when one of its controls is done, non-compliant when any done control found it so.
    One GROUP BY query (``weeks``, from ``lane_mix``, gives how many were assessed per lane); the
    random selections are counted from the assessments in the same query."""
    done = Q(declaration__control_tasks__status=ControlStatus.DONE)
    rows = (
        RiskAssessment.objects.filter(assessed_at__gte=period.start, assessed_at__lt=period.end)
        .values("lane", "random_selected")
        .annotate(
            assessed=Count("pk", distinct=True),
            controlled=Count("declaration_id", distinct=True, filter=done),
            non_compliant=Count(
                "declaration_id",
                distinct=True,
                filter=done & Q(declaration__control_tasks__outcome=ControlOutcome.NON_COMPLIANT),
            ),
        )
        .order_by()
    )
    per_lane = {lane.value: [0, 0] for lane in LANES}
    random, risk = [0, 0, 0], [0, 0, 0]
    for row in rows:
        lane_counts = per_lane.setdefault(row["lane"], [0, 0])
        lane_counts[0] += row["controlled"]
        lane_counts[1] += row["non_compliant"]
        if row["random_selected"]:
            target = random
        elif row["lane"] in (Lane.YELLOW, Lane.RED):
            target = risk
        else:
            continue
        target[0] += row["assessed"]
        target[1] += row["controlled"]
        target[2] += row["non_compliant"]
    assessed = {lane.value: sum(w.counts.get(lane.value, 0) for w in weeks) for lane in LANES}
    return ControlFigures(
        lanes=[
            ControlRate(key=lane.value, assessed=assessed[lane.value], controlled=c[0], non_compliant=c[1])
            for lane, c in ((lane, per_lane[lane.value]) for lane in LANES)
        ],
        random=ControlRate(key="random", assessed=random[0], controlled=random[1], non_compliant=random[2]),
        risk=ControlRate(key="risk", assessed=risk[0], controlled=risk[1], non_compliant=risk[2]),
    )
