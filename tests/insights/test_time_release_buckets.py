"""Percentiles from the fixed log-scale buckets: within one bucket of the exact ones; the weekly
rows add up the daily ones; a period reads whole weeks and its edge days as if it read every day."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest

from insights import buckets, selectors, services
from insights.models import StageDaily, StageWeekly
from tests.insights.time_release_data import facts_make


def _exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(math.ceil(q / 100 * len(ordered)), 1)  # nearest rank
    return ordered[rank - 1]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("median", [90, 3600, 86400 * 3])
def test_percentiles_from_buckets_match_exact_percentiles_within_a_bucket(seed, median):
    rng = random.Random(seed)
    values = [rng.lognormvariate(math.log(median), 1.1) for _ in range(5000)]
    counts = buckets.histogram(values)
    for q in (50, 90, 95):
        exact, estimate = _exact(values, q), buckets.percentile(counts, q)
        assert estimate is not None
        # The estimate lies in the exact value's bucket or at its edge: off by a bucket's width at most.
        assert abs(estimate - exact) <= (buckets.RATIO - 1) * exact + 1, (q, exact, estimate)


def test_every_duration_falls_in_the_bucket_whose_edges_hold_it():
    for seconds in [0, 0.5, 1, 2, 59, 60, 61, 3599, 3600, 86399, 86400, 10**7]:
        i = buckets.bucket_of(seconds)
        assert buckets.EDGES[i] <= max(seconds, 0)
        assert i == buckets.COUNT - 1 or seconds < buckets.EDGES[i + 1]


def test_nothing_counted_has_no_percentile():
    assert buckets.percentile(buckets.empty(), 50) is None


@pytest.mark.django_db
def test_the_weekly_rows_add_up_the_daily_rows():
    first = date(2026, 2, 2)  # a Monday
    facts_make([(first + timedelta(days=i % 20), 600 * (1 + i)) for i in range(80)])
    for week in StageWeekly.objects.filter(stage="total", dimension="lane"):
        days = StageDaily.objects.filter(
            day__gte=week.week,
            day__lte=week.week + timedelta(days=6),
            stage="total",
            dimension="lane",
            key=week.key,
        )
        assert week.count == sum(d.count for d in days)
        assert week.sum_seconds == sum(d.sum_seconds for d in days)
        assert week.buckets == [sum(col) for col in zip(*(d.buckets for d in days), strict=True)]
    assert StageWeekly.objects.filter(week=first, stage="total", dimension="all").get().count == 28
    fields = ("week", "stage", "dimension", "key", "count", "sum_seconds", "buckets")
    before = list(StageWeekly.objects.order_by(*fields[:4]).values_list(*fields))
    services.stage_weekly_refresh(weeks=[first, first + timedelta(days=7), first + timedelta(days=14)])
    assert list(StageWeekly.objects.order_by(*fields[:4]).values_list(*fields)) == before


@pytest.mark.django_db
def test_a_period_reads_whole_weeks_and_its_edge_days_as_if_it_read_every_day():
    first = date(2026, 1, 7)  # a Wednesday: the period starts and ends inside weeks
    facts_make([(first + timedelta(days=i % 40), 300 * (1 + i)) for i in range(200)])
    start, end = first + timedelta(days=2), first + timedelta(days=33)
    (row,) = selectors.stage_summary(start=start, end=end, stage="total")
    days = StageDaily.objects.filter(day__gte=start, day__lte=end, stage="total", dimension="all")
    counts = buckets.empty()
    for d in days:
        buckets.add(counts, d.buckets)
    assert row.count == sum(d.count for d in days)
    assert row.sum_seconds == sum(d.sum_seconds for d in days)
    assert (row.p50, row.p95) == (buckets.percentile(counts, 50), buckets.percentile(counts, 95))
