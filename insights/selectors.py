"""Reads of the Time Release Study: count, mean and percentiles per stage, per key, per period.

The pages never read the clearance tables: they read the daily histograms (``StageDaily``), a
bounded number of rows whatever the number of declarations (days × keys), and add them up here.
Filters that one dimension of the histograms cannot answer (two filters at once, or a breakdown by
one dimension filtered by another) read the facts of the period instead, grouped into the same
buckets by the database: the same percentiles, at the cost of reading that period's facts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from clearance.models import Lane
from declarations.models import DirectionChoice

from . import buckets
from .models import (
    DECLARATION_STAGES,
    REVIEW_STAGES,
    ClearanceFact,
    Dimension,
    ReviewFact,
    Stage,
    StageDaily,
    StageWeekly,
)

# The filters of the pages, and the dimension of the histograms each one narrows.
FILTER_DIMENSIONS: dict[str, str] = {
    "direction": Dimension.DIRECTION,
    "type": Dimension.TYPE,
    "office": Dimension.OFFICE,
    "lane": Dimension.LANE,
}
# The fact column of each dimension (agency: the review facts' agency).
_FACT_COLUMNS: dict[str, str] = {
    Dimension.DIRECTION: "f.direction",
    Dimension.TYPE: "f.declaration_type",
    Dimension.OFFICE: "f.office",
    Dimension.LANE: "f.lane",
    Dimension.AGENCY: "a.code",
    Dimension.ALL: "''",
}
# The longest period the pages read (the histograms are daily: a longer one is only more rows).
MAX_DAYS = 731


@dataclass(frozen=True)
class Histogram:
    count: int = 0
    sum_seconds: int = 0
    counts: list[int] = field(default_factory=buckets.empty)

    @property
    def mean(self) -> float | None:
        return self.sum_seconds / self.count if self.count else None

    def percentile(self, q: float) -> float | None:
        return buckets.percentile(self.counts, q)


@dataclass(frozen=True)
class StageRow:
    """One line of a table: a stage (or a key of a dimension) over the period."""

    stage: str
    key: str
    label: str
    count: int
    sum_seconds: int
    mean: float | None
    p50: float | None
    p90: float | None
    p95: float | None


@dataclass(frozen=True)
class TrendPoint:
    start: date  # the Monday of the week (or the first of the month)
    count: int
    mean: float | None
    p50: float | None
    p95: float | None


class _Acc:
    __slots__ = ("count", "counts", "sum_seconds")

    def __init__(self) -> None:
        self.count = 0
        self.sum_seconds = 0
        self.counts = buckets.empty()

    def histogram(self) -> Histogram:
        return Histogram(self.count, self.sum_seconds, self.counts)


def active_filters(filters: dict[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (filters or {}).items() if v and k in FILTER_DIMENSIONS}


def _covering_weeks(start: date, end: date, group: Callable[[date], Any]) -> list[date]:
    """The Mondays of the whole weeks inside [start, end] whose seven days fall in one group."""
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    weeks = []
    while monday + timedelta(days=6) <= end:
        if group(monday) == group(monday + timedelta(days=6)):
            weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def histograms_between(
    *,
    start: date,
    end: date,
    stages: Sequence[str],
    dimension: str,
    key: str | None,
    group: Callable[[date], Any] | None,
    keep_key: bool = False,
) -> dict[tuple[str, Any], _Acc]:
    """Add up the histograms: per (stage, key), or per (stage, ``group(day)``) when ``group`` is
    given (a week's Monday, a month's first day), or per (stage, (key, ``group(day)``)) with
    ``keep_key``. Whole weeks are read from the weekly rows, the
    days around them from the daily rows: about a seventh of the rows over a long period."""
    weeks = _covering_weeks(start, end, group or (lambda _day: None))
    covered = {w + timedelta(days=i) for w in weeks for i in range(7)}
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    edge_days = [d for d in days if d not in covered]
    out: dict[tuple[str, Any], _Acc] = defaultdict(_Acc)
    sources: list[Any] = []
    if weeks:
        weekly = StageWeekly.objects.filter(
            week__gte=weeks[0], week__lte=weeks[-1], stage__in=stages, dimension=dimension
        )
        if len(weeks) != (weeks[-1] - weeks[0]).days // 7 + 1:
            weekly = weekly.filter(week__in=weeks)
        sources.append(weekly.values_list("stage", "key", "week", "count", "sum_seconds", "buckets"))
    if edge_days:
        daily = StageDaily.objects.filter(stage__in=stages, dimension=dimension)
        daily = daily.filter(day__gte=start, day__lte=end) if not weeks else daily.filter(day__in=edge_days)
        sources.append(daily.values_list("stage", "key", "day", "count", "sum_seconds", "buckets"))
    for rows in sources:
        if key is not None:
            rows = rows.filter(key=key)
        for stage, row_key, day, count, total, counts in rows:
            when = group(day) if group else None
            acc = out[(stage, (row_key, when) if keep_key else (when if group else row_key))]
            acc.count += count
            acc.sum_seconds += total
            buckets.add(acc.counts, counts)
    return out


def _bucket_sql(column: str) -> str:
    """A portable CASE giving the bucket index of ``column`` (the edges are integers of ours)."""
    whens = " ".join(f"WHEN {column} < {edge} THEN {i - 1}" for i, edge in enumerate(buckets.EDGES) if i)
    return f"CASE {whens} ELSE {buckets.COUNT - 1} END"


def _from_facts(
    *,
    start: date,
    end: date,
    stages: Sequence[str],
    dimension: str,
    filters: dict[str, str],
    group: Callable[[date], Any] | None,
) -> dict[tuple[str, Any], _Acc]:
    """The same sums from the facts of the period, grouped into buckets by the database (per day
    when ``group`` is given, then folded into its groups here)."""
    fact, rfact, agency = ClearanceFact._meta.db_table, ReviewFact._meta.db_table, Agency._meta.db_table
    out: dict[tuple[str, Any], _Acc] = defaultdict(_Acc)
    conditions = ["f.day >= %s", "f.day <= %s", "f.outcome = 'released'"]
    params: list[Any] = [start, end]
    for name, value in filters.items():
        conditions.append(f"{_FACT_COLUMNS[FILTER_DIMENSIONS[name]]} = %s")
        params.append(value)
    by_day = group is not None
    column = "f.day" if by_day else _FACT_COLUMNS[dimension]
    review = [
        (st, "rf.gross_seconds" if st == Stage.AGENCY else "rf.net_seconds")
        for st in stages
        if st in REVIEW_STAGES
    ]
    declaration = [(st, f"f.{st}_seconds") for st in stages if st not in REVIEW_STAGES]
    queries = []
    if review:
        source = (
            f"{rfact} rf JOIN {fact} f ON f.declaration_id = rf.declaration_id "
            f"JOIN {agency} a ON a.id = rf.agency_id"
        )
        queries.append((review, source))
    if declaration:
        if dimension == Dimension.AGENCY and not by_day:
            # A declaration counts once for each agency that reviewed it (one review each).
            source = (
                f"{fact} f JOIN {rfact} rf ON rf.declaration_id = f.declaration_id "
                f"JOIN {agency} a ON a.id = rf.agency_id"
            )
        else:
            source = f"{fact} f"
        queries.append((declaration, source))
    bucket = (
        f"GREATEST(width_bucket(s::double precision, {buckets.edges_sql_array()}), 1) - 1"
        if connection.vendor == "postgresql"
        else _bucket_sql("s")
    )
    for values, source in queries:
        # One pass over the period's facts for all the stages: the base rows once, each stage's
        # column unpivoted from them.
        picked = ", ".join(f"{value} AS s{i}" for i, (_stage, value) in enumerate(values))
        unpivot = " UNION ALL ".join(
            f"SELECT '{stage}' AS stage, g, s{i} AS s FROM base WHERE s{i} IS NOT NULL"  # noqa: S608 - ours
            for i, (stage, _value) in enumerate(values)
        )
        sql = (
            f"WITH base AS (SELECT {column} AS g, {picked} FROM {source} "  # noqa: S608 - our columns
            f"WHERE {' AND '.join(conditions)}) "
            f"SELECT stage, g, b, COUNT(*), SUM(s) "
            f"FROM (SELECT stage, g, s, {bucket} AS b FROM ({unpivot}) u) v GROUP BY stage, g, b"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for stage, g, b, n, total in cursor.fetchall():
                if group is not None:
                    g = group(date.fromisoformat(g) if isinstance(g, str) else g)  # SQLite: text
                acc = out[(stage, g if g is not None else "")]
                acc.count += n
                acc.sum_seconds += int(total or 0)
                acc.counts[int(b)] += n
    return out


def _histograms(
    *,
    start: date,
    end: date,
    stages: Sequence[str],
    dimension: str,
    filters: dict[str, str] | None,
    group: Callable[[date], Any] | None = None,
) -> dict[tuple[str, Any], _Acc]:
    """Per (stage, key) — or (stage, ``group(day)``) — histograms, from the cheapest source."""
    active = active_filters(filters)
    # The review stages' histograms have every dimension, but not by agency and another key at once.
    review_stages_elsewhere = (
        any(s in REVIEW_STAGES for s in stages) and dimension == Dimension.AGENCY and active
    )
    if not active and not review_stages_elsewhere:
        return histograms_between(
            start=start, end=end, stages=stages, dimension=dimension, key=None, group=group
        )
    if len(active) == 1 and not review_stages_elsewhere:
        (_name, value), filter_dimension = next(iter(active.items())), FILTER_DIMENSIONS[next(iter(active))]
        if dimension in (Dimension.ALL, filter_dimension):
            # One filter: the filter's own dimension answers it (its one key).
            found = histograms_between(
                start=start, end=end, stages=stages, dimension=filter_dimension, key=value, group=group
            )
            if group is not None or dimension != Dimension.ALL:
                return found
            return {(stage, ""): acc for (stage, _key), acc in found.items()}
    return _from_facts(start=start, end=end, stages=stages, dimension=dimension, filters=active, group=group)


def _labels(dimension: str, keys: Iterable[str]) -> dict[str, str]:
    keys = list(keys)
    if dimension == Dimension.AGENCY:
        names = dict(Agency.objects.filter(code__in=keys).values_list("code", "name"))
        return {k: names.get(k, k) for k in keys}
    choices: dict[str, str] = {}
    if dimension == Dimension.LANE:
        choices = {str(v): str(label) for v, label in Lane.choices}
    elif dimension == Dimension.DIRECTION:
        choices = {str(v): str(label) for v, label in DirectionChoice.choices}
    elif dimension == Dimension.ALL:
        choices = {"": _("All declarations")}
    return {k: choices.get(k, k) or _("(not recorded)") for k in keys}


def _row(stage: str, key: str, label: str, acc: _Acc) -> StageRow:
    h = acc.histogram()
    return StageRow(
        stage=stage,
        key=key,
        label=label,
        count=h.count,
        sum_seconds=h.sum_seconds,
        mean=h.mean,
        p50=h.percentile(50),
        p90=h.percentile(90),
        p95=h.percentile(95),
    )


def stage_summary(
    *, start: date, end: date, stage: str, dimension: str = "all", filters: dict[str, str] | None = None
) -> list[StageRow]:
    """One row per key of ``dimension`` (one row for ``all``) for the declarations released from
    ``start`` to ``end`` (inclusive): count, mean, p50, p90, p95 of ``stage``, in seconds. Ordered
    by count, the busiest first."""
    found = _histograms(start=start, end=end, stages=[stage], dimension=dimension, filters=filters)
    labels = _labels(dimension, (key for _stage, key in found))
    rows = [_row(stage, key, labels[key], acc) for (_stage, key), acc in found.items() if acc.count]
    return sorted(rows, key=lambda r: _order(dimension, r.key, r.count, r.label))


def stages_overview(
    *, start: date, end: date, stages: Sequence[str], filters: dict[str, str] | None = None
) -> list[StageRow]:
    """One row per stage (dimension ``all``), in the order given; empty stages count 0."""
    found = _histograms(start=start, end=end, stages=stages, dimension=Dimension.ALL, filters=filters)
    return [_row(stage, "", str(Stage(stage).label), found.get((stage, ""), _Acc())) for stage in stages]


def stage_breakdown(
    *, start: date, end: date, stages: Sequence[str], dimension: str, filters: dict[str, str] | None = None
) -> dict[str, dict[str, StageRow]]:
    """Per key of ``dimension``: one row per stage ({key: {stage: row}}), keys by count of the first
    stage, busiest first."""
    found = _histograms(start=start, end=end, stages=stages, dimension=dimension, filters=filters)
    keys = {key for _stage, key in found}
    labels = _labels(dimension, keys)
    table: dict[str, dict[str, StageRow]] = {}
    first = stages[0]
    for key in sorted(
        keys, key=lambda k: _order(dimension, k, (found.get((first, k)) or _Acc()).count, labels[k])
    ):
        table[key] = {
            stage: _row(stage, key, labels[key], found.get((stage, key), _Acc())) for stage in stages
        }
    return table


LANE_ORDER = {str(lane): n for n, lane in enumerate(Lane)}


def _order(dimension: str, key: str, count: int, label: str) -> tuple[int, int, str]:
    """Lanes in their own order (green, yellow, red); other keys by count, the busiest first."""
    if dimension == Dimension.LANE:
        return (LANE_ORDER.get(key, len(LANE_ORDER)), 0, label)
    return (0, -count, label)


def dimension_labels(dimension: str, keys: Iterable[str]) -> dict[str, str]:
    return _labels(dimension, keys)


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def stage_trend(
    *,
    start: date,
    end: date,
    stage: str = Stage.TOTAL,
    period: str = "week",
    filters: dict[str, str] | None = None,
) -> list[TrendPoint]:
    """Per week (Monday) or month (the 1st) of the period: count, mean, p50, p95 of ``stage``.
    Every period from the first to the last is present (an empty one counts 0)."""

    def period_of(day: date) -> date:
        return week_of(day) if period == "week" else day.replace(day=1)

    found = _histograms(
        start=start, end=end, stages=[stage], dimension=Dimension.ALL, filters=filters, group=period_of
    )
    per = {when: acc for (_stage, when), acc in found.items()}
    points = []
    cursor = period_of(start)
    while cursor <= end:
        h = per.get(cursor, _Acc()).histogram()
        points.append(TrendPoint(cursor, h.count, h.mean, h.percentile(50), h.percentile(95)))
        if period == "week":
            cursor += timedelta(days=7)
        else:
            cursor = (cursor + timedelta(days=32)).replace(day=1)
    return points


def filter_choices() -> dict[str, list[str]]:
    """The values each filter can take: those the facts have (read from the histograms' keys of
    the last two years, a small table)."""
    since = timezone.localdate() - timedelta(days=MAX_DAYS)
    values: dict[str, set[str]] = defaultdict(set)
    dims = [FILTER_DIMENSIONS["type"], FILTER_DIMENSIONS["office"]]
    for dimension, key in (
        StageDaily.objects.filter(day__gte=since, stage=Stage.TOTAL, dimension__in=dims)
        .values_list("dimension", "key")
        .distinct()
    ):
        values[dimension].add(key)
    return {
        "type": sorted(k for k in values[Dimension.TYPE] if k),
        "office": sorted(k for k in values[Dimension.OFFICE] if k),
    }


STAGES_IN_ORDER = (*DECLARATION_STAGES, *REVIEW_STAGES)
