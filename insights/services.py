"""Writers of the Time Release Study: facts from the clearance records, daily histograms from facts.

Two ways to write the facts, which must agree (a test compares them):

- ``fact_record``: one declaration, right after its release decision (the outbox topic
  ``clearance.release.decided``), with the ORM: a handful of queries, any database;
- ``facts_rebuild``: every decided declaration (or those decided since a day), set-based SQL in
  batches of declarations on PostgreSQL (``INSERT … SELECT … ON CONFLICT DO UPDATE``), so a backfill
  of a million declarations never walks them in Python. On SQLite (the embedded demo) it falls back
  to ``fact_record`` per declaration.

``stage_daily_refresh`` recomputes the histograms of given days from the facts, set-based too
(PostgreSQL; a Python fallback on SQLite), and replaces those days' rows: an upsert on
(day, stage, dimension, key), then the rows of those days it did not touch are deleted.

Everything here is idempotent: running it twice leaves the same rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from agencies.models import Agency, AgencyReview, InformationRequest
from clearance.models import ReleaseDecision, RiskAssessment
from declarations.models import Declaration
from payments.models import Payment, PaymentAllocation, Security

from . import buckets
from .models import DECLARATION_STAGES, ClearanceFact, Dimension, ReviewFact, Stage, StageDaily, StageWeekly

# Declarations per set-based statement of a rebuild: big enough to amortise, small enough that one
# batch's transaction stays short.
REBUILD_BATCH = 50_000
# Days per set-based histogram statement.
DAYS_BATCH = 31
# Weeks per set-based weekly statement.
WEEKS_BATCH = 8
# Facts the beat writes per run for decisions the outbox left behind (the rest next run).
MISSING_BATCH = 500


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(math.floor((later - earlier).total_seconds()), 0)


def _clamp(value: datetime | None, low: datetime, high: datetime) -> datetime:
    """``value`` (or ``low`` when unknown) kept between ``low`` and ``high``."""
    if value is None or value < low:
        value = low
    return min(value, high)


def office_of(declaration: Declaration) -> str:
    """The office the declaration was lodged at: presentation, else supervising, else exit."""
    return declaration.presentation_office or declaration.supervising_office or declaration.exit_office


# --- one declaration (the outbox handler) --------------------------------------------------------


@transaction.atomic
def fact_record(*, declaration_id: int) -> set[date]:
    """Write (or rewrite) the facts of one declaration from its release decision.

    Idempotent: a second delivery of the same outbox message rewrites the same rows. Without a
    decision (a refused declaration resubmitted) its facts are deleted. Returns the days whose
    histograms changed (the old day too when the decision moved to another day).
    """
    old_days = set(ClearanceFact.objects.filter(declaration_id=declaration_id).values_list("day", flat=True))
    decision = ReleaseDecision.objects.filter(declaration_id=declaration_id).first()
    if decision is None:
        ClearanceFact.objects.filter(declaration_id=declaration_id).delete()
        ReviewFact.objects.filter(declaration_id=declaration_id).delete()
        return old_days
    declaration = Declaration.objects.get(pk=declaration_id)
    reviews = list(AgencyReview.objects.filter(declaration_id=declaration_id).order_by("pk"))
    settled = [
        p.settled_at
        for p in Payment.objects.filter(
            allocations__declaration_id=declaration_id,
            settled_at__isnull=False,
            settled_at__lte=decision.decided_at,
        )
        if p.settled_at is not None
    ]
    secured = list(
        Security.objects.filter(
            declaration_id=declaration_id, created_at__lte=decision.decided_at
        ).values_list("created_at", flat=True)
    )
    lane = RiskAssessment.objects.filter(declaration_id=declaration_id).values_list("lane", flat=True).first()

    decided = decision.decided_at
    lodged = declaration.accepted_at or declaration.created_at
    routed = min((r.created_at for r in reviews), default=None)
    done = max(
        (r.decided_at for r in reviews if r.withdrawn_at is None and r.decided_at is not None), default=None
    )
    paid = min([*settled, *secured], default=None)
    # The stages one after the other, each clamped so they add up to the total.
    t1 = _clamp(routed, lodged, decided)
    t2 = _clamp(done, t1, decided)
    t3 = _clamp(paid, t2, decided)
    day = timezone.localdate(decided)
    values: dict[str, Any] = {
        "outcome": decision.outcome,
        "direction": declaration.direction,
        "declaration_type": declaration.full_type,
        "office": office_of(declaration),
        "lane": lane or "",
        "lodged_at": lodged,
        "routed_at": routed,
        "reviews_done_at": done,
        "payment_at": paid,
        "decided_at": decided,
        "day": day,
        "routing_seconds": _seconds(t1, lodged),
        "review_seconds": _seconds(t2, t1),
        "payment_seconds": _seconds(t3, t2),
        "release_seconds": _seconds(decided, t3),
        "total_seconds": _seconds(decided, lodged),
    }
    ClearanceFact.objects.update_or_create(declaration_id=declaration_id, defaults=values)

    waiting: dict[int, int] = defaultdict(int)
    ends = {r.pk: r.decided_at or decided for r in reviews}
    starts = {r.pk: r.created_at for r in reviews}
    for request in InformationRequest.objects.filter(review__declaration_id=declaration_id):
        end = ends[request.review_id]
        start = max(request.asked_at, starts[request.review_id])
        stop = min(request.answered_at or end, end)
        waiting[request.review_id] += _seconds(stop, start) or 0
    ReviewFact.objects.filter(declaration_id=declaration_id).delete()
    facts = []
    for review in reviews:
        if review.withdrawn_at is not None:
            continue  # a supervisor decided over it: the agency never did
        gross = _seconds(review.decided_at, review.created_at)
        wait = min(waiting[review.pk], gross) if gross is not None else waiting[review.pk]
        facts.append(
            ReviewFact(
                review=review,
                declaration_id=declaration_id,
                agency_id=review.agency_id,
                status=review.status,
                started_at=review.created_at,
                decided_at=review.decided_at,
                day=day,
                gross_seconds=gross,
                waiting_seconds=wait,
                net_seconds=None if gross is None else gross - wait,
            )
        )
    ReviewFact.objects.bulk_create(facts)
    return old_days | {day}


# --- every declaration (the backfill), set-based ------------------------------------------------


def _tables() -> dict[str, str]:
    return {
        "fact": ClearanceFact._meta.db_table,
        "rfact": ReviewFact._meta.db_table,
        "daily": StageDaily._meta.db_table,
        "weekly": StageWeekly._meta.db_table,
        "decision": ReleaseDecision._meta.db_table,
        "decl": Declaration._meta.db_table,
        "review": AgencyReview._meta.db_table,
        "request": InformationRequest._meta.db_table,
        "agency": Agency._meta.db_table,
        "risk": RiskAssessment._meta.db_table,
        "payment": Payment._meta.db_table,
        "alloc": PaymentAllocation._meta.db_table,
        "security": Security._meta.db_table,
    }


_FACTS_SQL = """
WITH scope AS (
    SELECT rd.declaration_id, rd.outcome, rd.decided_at
    FROM {decision} rd
    WHERE rd.declaration_id >= %(low)s AND rd.declaration_id < %(high)s AND rd.decided_at >= %(since)s
), rv AS (
    SELECT r.declaration_id, MIN(r.created_at) AS routed_at,
           MAX(r.decided_at) FILTER (WHERE r.withdrawn_at IS NULL) AS done_at
    FROM {review} r JOIN scope s ON s.declaration_id = r.declaration_id
    GROUP BY r.declaration_id
), pay AS (
    SELECT a.declaration_id, MIN(p.settled_at) AS at
    FROM {alloc} a JOIN {payment} p ON p.id = a.payment_id JOIN scope s ON s.declaration_id = a.declaration_id
    WHERE p.settled_at IS NOT NULL AND p.settled_at <= s.decided_at
    GROUP BY a.declaration_id
), sec AS (
    SELECT x.declaration_id, MIN(x.created_at) AS at
    FROM {security} x JOIN scope s ON s.declaration_id = x.declaration_id
    WHERE x.created_at <= s.decided_at
    GROUP BY x.declaration_id
), t AS (
    SELECT s.declaration_id, s.outcome, s.decided_at, d.direction,
           d.type_code || d.additional_type AS declaration_type,
           COALESCE(NULLIF(d.presentation_office, ''), NULLIF(d.supervising_office, ''),
                    d.exit_office) AS office,
           COALESCE(ra.lane, '') AS lane,
           COALESCE(d.accepted_at, d.created_at) AS lodged_at,
           rv.routed_at, rv.done_at, LEAST(pay.at, sec.at) AS payment_at
    FROM scope s
    JOIN {decl} d ON d.id = s.declaration_id
    LEFT JOIN rv ON rv.declaration_id = s.declaration_id
    LEFT JOIN pay ON pay.declaration_id = s.declaration_id
    LEFT JOIN sec ON sec.declaration_id = s.declaration_id
    LEFT JOIN {risk} ra ON ra.declaration_id = s.declaration_id
)
INSERT INTO {fact} (declaration_id, outcome, direction, declaration_type, office, lane, lodged_at, routed_at,
                    reviews_done_at, payment_at, decided_at, day, routing_seconds, review_seconds,
                    payment_seconds, release_seconds, total_seconds, refreshed_at)
SELECT t.declaration_id, t.outcome, t.direction, t.declaration_type, t.office, t.lane, t.lodged_at,
       t.routed_at,
       t.done_at, t.payment_at, t.decided_at, (t.decided_at AT TIME ZONE %(tz)s)::date,
       GREATEST(FLOOR(EXTRACT(EPOCH FROM (a.t1 - t.lodged_at)))::bigint, 0),
       GREATEST(FLOOR(EXTRACT(EPOCH FROM (b.t2 - a.t1)))::bigint, 0),
       GREATEST(FLOOR(EXTRACT(EPOCH FROM (c.t3 - b.t2)))::bigint, 0),
       GREATEST(FLOOR(EXTRACT(EPOCH FROM (t.decided_at - c.t3)))::bigint, 0),
       GREATEST(FLOOR(EXTRACT(EPOCH FROM (t.decided_at - t.lodged_at)))::bigint, 0), now()
FROM t
CROSS JOIN LATERAL (SELECT LEAST(GREATEST(t.routed_at, t.lodged_at), t.decided_at) AS t1) a
CROSS JOIN LATERAL (SELECT LEAST(GREATEST(t.done_at, a.t1), t.decided_at) AS t2) b
CROSS JOIN LATERAL (SELECT LEAST(GREATEST(t.payment_at, b.t2), t.decided_at) AS t3) c
ON CONFLICT (declaration_id) DO UPDATE SET
    outcome = EXCLUDED.outcome, direction = EXCLUDED.direction, declaration_type = EXCLUDED.declaration_type,
    office = EXCLUDED.office, lane = EXCLUDED.lane, lodged_at = EXCLUDED.lodged_at,
    routed_at = EXCLUDED.routed_at, reviews_done_at = EXCLUDED.reviews_done_at,
    payment_at = EXCLUDED.payment_at, decided_at = EXCLUDED.decided_at, day = EXCLUDED.day,
    routing_seconds = EXCLUDED.routing_seconds, review_seconds = EXCLUDED.review_seconds,
    payment_seconds = EXCLUDED.payment_seconds, release_seconds = EXCLUDED.release_seconds,
    total_seconds = EXCLUDED.total_seconds, refreshed_at = EXCLUDED.refreshed_at
"""

_REVIEW_FACTS_DELETE_SQL = """
DELETE FROM {rfact} rf USING {fact} f
WHERE rf.declaration_id = f.declaration_id
  AND f.declaration_id >= %(low)s AND f.declaration_id < %(high)s AND f.decided_at >= %(since)s
"""

_REVIEW_FACTS_SQL = """
WITH scope AS (
    SELECT f.declaration_id, f.day, f.decided_at FROM {fact} f
    WHERE f.declaration_id >= %(low)s AND f.declaration_id < %(high)s AND f.decided_at >= %(since)s
), w AS (
    SELECT q.review_id,
           SUM(GREATEST(FLOOR(EXTRACT(EPOCH FROM (
             LEAST(COALESCE(q.answered_at, r.decided_at, s.decided_at), COALESCE(r.decided_at, s.decided_at))
               - GREATEST(q.asked_at, r.created_at))))::bigint, 0)) AS waiting
    FROM {request} q JOIN {review} r ON r.id = q.review_id JOIN scope s ON s.declaration_id = r.declaration_id
    GROUP BY q.review_id
)
INSERT INTO {rfact} (review_id, declaration_id, agency_id, status, started_at, decided_at, day,
                     gross_seconds, waiting_seconds, net_seconds)
SELECT r.id, r.declaration_id, r.agency_id, r.status, r.created_at, r.decided_at, s.day,
       g.gross, LEAST(COALESCE(w.waiting, 0), COALESCE(g.gross, COALESCE(w.waiting, 0))),
       g.gross - LEAST(COALESCE(w.waiting, 0), g.gross)
FROM {review} r
JOIN scope s ON s.declaration_id = r.declaration_id
LEFT JOIN w ON w.review_id = r.id
CROSS JOIN LATERAL (
    SELECT CASE WHEN r.decided_at IS NULL THEN NULL
           ELSE GREATEST(FLOOR(EXTRACT(EPOCH FROM (r.decided_at - r.created_at)))::bigint, 0) END AS gross
) g
WHERE r.withdrawn_at IS NULL
ON CONFLICT (review_id) DO UPDATE SET
    declaration_id = EXCLUDED.declaration_id, agency_id = EXCLUDED.agency_id, status = EXCLUDED.status,
    started_at = EXCLUDED.started_at, decided_at = EXCLUDED.decided_at, day = EXCLUDED.day,
    gross_seconds = EXCLUDED.gross_seconds, waiting_seconds = EXCLUDED.waiting_seconds,
    net_seconds = EXCLUDED.net_seconds
"""


def _sql(template: str, **extra: str) -> str:
    """A statement with the real table names (``{fact}``, ``{decision}``…)."""
    return template.format(**_tables(), **extra)


@dataclass(frozen=True)
class RebuildResult:
    facts: int
    days: int


def _batches(since: datetime) -> Iterator[tuple[int, int]]:
    """Ranges of declaration ids [low, high) holding at most REBUILD_BATCH decisions each."""
    ids = ReleaseDecision.objects.filter(decided_at__gte=since).order_by("declaration_id")
    low = ids.values_list("declaration_id", flat=True).first()
    while low is not None:
        boundary = ids.filter(declaration_id__gte=low).values_list("declaration_id", flat=True)[
            REBUILD_BATCH : REBUILD_BATCH + 1
        ]
        high = boundary[0] if boundary else None
        yield low, (high if high is not None else 2**63 - 1)
        low = high


def facts_rebuild(*, since: date | None = None) -> RebuildResult:
    """Rewrite the facts of every declaration decided since ``since`` (all when None), then the
    histograms of every day concerned. Idempotent; batched; set-based on PostgreSQL."""
    start = (
        timezone.make_aware(datetime.combine(since, datetime.min.time()))
        if since
        else datetime(1970, 1, 1, tzinfo=timezone.get_current_timezone())
    )
    days = set(ClearanceFact.objects.filter(decided_at__gte=start).values_list("day", flat=True).distinct())
    count = 0
    # Facts whose decision is gone (a refusal resubmitted and not yet decided again).
    stale = ClearanceFact.objects.filter(decided_at__gte=start).exclude(
        declaration_id__in=ReleaseDecision.objects.values("declaration_id")
    )
    with transaction.atomic():
        ReviewFact.objects.filter(declaration_id__in=stale.values("declaration_id")).delete()
        stale.delete()
    if connection.vendor == "postgresql":
        facts_sql, reviews_sql = _sql(_FACTS_SQL), _sql(_REVIEW_FACTS_SQL)
        for low, high in _batches(start):
            params = {"low": low, "high": high, "since": start, "tz": settings.TIME_ZONE}
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(facts_sql, params)
                count += cursor.rowcount
                cursor.execute(_sql(_REVIEW_FACTS_DELETE_SQL), params)
                cursor.execute(reviews_sql, params)
    else:
        for declaration_id in ReleaseDecision.objects.filter(decided_at__gte=start).values_list(
            "declaration_id", flat=True
        ):
            fact_record(declaration_id=declaration_id)
            count += 1
    days |= set(ClearanceFact.objects.filter(decided_at__gte=start).values_list("day", flat=True).distinct())
    stage_daily_refresh(days=days)
    return RebuildResult(facts=count, days=len(days))


# --- daily histograms ----------------------------------------------------------------------------

_DAILY_SQL = """
WITH f AS (
    SELECT f.declaration_id, f.day, f.direction, f.declaration_type, f.office, f.lane,
           f.routing_seconds, f.review_seconds, f.payment_seconds, f.release_seconds, f.total_seconds
    FROM {fact} f WHERE f.day = ANY(%(days)s) AND f.outcome = 'released'
), v AS (
    SELECT f.declaration_id, f.day, st.stage, st.s, f.direction, f.declaration_type, f.office, f.lane
    FROM f CROSS JOIN LATERAL (VALUES ('routing', f.routing_seconds), ('review', f.review_seconds),
                                      ('payment', f.payment_seconds), ('release', f.release_seconds),
                                      ('total', f.total_seconds)) AS st(stage, s)
    WHERE st.s IS NOT NULL
), rf AS (
    SELECT rf.declaration_id, rf.day, a.code, rf.gross_seconds, rf.net_seconds, f.lane, f.declaration_type,
           f.office, f.direction
    FROM {rfact} rf JOIN f ON f.declaration_id = rf.declaration_id JOIN {agency} a ON a.id = rf.agency_id
), d AS (
    SELECT v.day, v.stage, dim.dimension, dim.key, v.s
    FROM v CROSS JOIN LATERAL (VALUES ('all', ''), ('lane', v.lane), ('type', v.declaration_type),
                                      ('office', v.office), ('direction', v.direction)) AS dim(dimension, key)
    UNION ALL
    SELECT v.day, v.stage, 'agency', x.code, v.s
    FROM v JOIN (SELECT DISTINCT declaration_id, code FROM rf) x ON x.declaration_id = v.declaration_id
    UNION ALL
    SELECT rf.day, st.stage, dim.dimension, dim.key, st.s
    FROM rf
    CROSS JOIN LATERAL (VALUES ('agency', rf.gross_seconds), ('agency_net', rf.net_seconds)) AS st(stage, s)
    CROSS JOIN LATERAL (VALUES ('all', ''), ('agency', rf.code), ('lane', rf.lane),
                               ('type', rf.declaration_type), ('office', rf.office),
                               ('direction', rf.direction)) AS dim(dimension, key)
    WHERE st.s IS NOT NULL
), b AS (
    SELECT day, stage, dimension, key, GREATEST(width_bucket(s::double precision, {edges}), 1) - 1 AS bucket,
           COUNT(*) AS n, SUM(s) AS total
    FROM d GROUP BY 1, 2, 3, 4, 5
), g AS (
    SELECT day, stage, dimension, key, SUM(n)::int AS n, SUM(total)::bigint AS total,
           jsonb_object_agg(bucket::text, n) AS pairs
    FROM b GROUP BY 1, 2, 3, 4
)
INSERT INTO {daily} (day, stage, dimension, key, count, sum_seconds, buckets, refreshed_at)
SELECT g.day, g.stage, g.dimension, g.key, g.n, g.total,
       (SELECT jsonb_agg(COALESCE((g.pairs ->> i::text)::int, 0) ORDER BY i)
        FROM generate_series(0, {last}) AS i),
       %(stamp)s
FROM g
ON CONFLICT (day, stage, dimension, key) DO UPDATE SET
    count = EXCLUDED.count, sum_seconds = EXCLUDED.sum_seconds, buckets = EXCLUDED.buckets,
    refreshed_at = EXCLUDED.refreshed_at
"""


def stage_daily_refresh(*, days: Iterable[date]) -> int:
    """Recompute the histograms of ``days`` from the facts and replace those days' rows, then the
    weekly rows of their weeks.

    Set-based on PostgreSQL (one statement per ``DAYS_BATCH`` days); a Python fallback elsewhere.
    Returns the daily rows written.
    """
    wanted = sorted(set(days))
    written = 0
    for i in range(0, len(wanted), DAYS_BATCH):
        batch = wanted[i : i + DAYS_BATCH]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                sql = _sql(_DAILY_SQL, edges=buckets.edges_sql_array(), last=str(buckets.COUNT - 1))
                with connection.cursor() as cursor:
                    # This run's stamp (the clock, not the transaction's start: two runs in one
                    # transaction differ): every row written below carries it; the rows of these
                    # days without it were not written again, so are stale.
                    cursor.execute("SELECT clock_timestamp()")
                    (stamp,) = cursor.fetchone()
                    cursor.execute(sql, {"days": batch, "stamp": stamp})
                    written += cursor.rowcount
                    cursor.execute(
                        _sql("DELETE FROM {daily} WHERE day = ANY(%s) AND refreshed_at <> %s"), [batch, stamp]
                    )
            else:
                rows = stage_daily_rows_python(days=batch)
                StageDaily.objects.filter(day__in=batch).delete()
                StageDaily.objects.bulk_create(rows)
                written += len(rows)
    weeks = sorted({week_of(day) for day in wanted})
    for i in range(0, len(weeks), WEEKS_BATCH):
        stage_weekly_refresh(weeks=weeks[i : i + WEEKS_BATCH])
    return written


_WEEKLY_SQL = """
WITH d AS (
    SELECT (s.day - (EXTRACT(ISODOW FROM s.day)::int - 1)) AS week, s.stage, s.dimension, s.key, s.count,
           s.sum_seconds, s.buckets
    FROM {daily} s
    WHERE s.day >= %(first)s AND s.day <= %(last)s
      AND (s.day - (EXTRACT(ISODOW FROM s.day)::int - 1)) = ANY(%(weeks)s)
), totals AS (
    SELECT week, stage, dimension, key, SUM(count)::int AS n, SUM(sum_seconds)::bigint AS total
    FROM d GROUP BY 1, 2, 3, 4
), e AS (
    SELECT d.week, d.stage, d.dimension, d.key, b.i, SUM(b.v::int) AS v
    FROM d CROSS JOIN LATERAL jsonb_array_elements_text(d.buckets) WITH ORDINALITY AS b(v, i)
    GROUP BY 1, 2, 3, 4, 5
), h AS (
    SELECT week, stage, dimension, key, jsonb_agg(v ORDER BY i) AS buckets FROM e GROUP BY 1, 2, 3, 4
)
INSERT INTO {weekly} (week, stage, dimension, key, count, sum_seconds, buckets, refreshed_at)
SELECT t.week, t.stage, t.dimension, t.key, t.n, t.total, h.buckets, %(stamp)s
FROM totals t JOIN h ON h.week = t.week AND h.stage = t.stage AND h.dimension = t.dimension AND h.key = t.key
ON CONFLICT (week, stage, dimension, key) DO UPDATE SET
    count = EXCLUDED.count, sum_seconds = EXCLUDED.sum_seconds, buckets = EXCLUDED.buckets,
    refreshed_at = EXCLUDED.refreshed_at
"""


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def stage_weekly_refresh(*, weeks: Iterable[date]) -> int:
    """Add up the daily histograms of ``weeks`` (their Mondays) into their weekly rows, replacing
    them. Set-based on PostgreSQL; a Python fallback elsewhere. Returns the rows written."""
    wanted = sorted({week_of(w) for w in weeks})
    if not wanted:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT clock_timestamp()")
                (stamp,) = cursor.fetchone()
                cursor.execute(
                    _sql(_WEEKLY_SQL),
                    {
                        "first": wanted[0],
                        "last": wanted[-1] + timedelta(days=6),
                        "weeks": wanted,
                        "stamp": stamp,
                    },
                )
                written = cursor.rowcount
                cursor.execute(
                    _sql("DELETE FROM {weekly} WHERE week = ANY(%s) AND refreshed_at <> %s"), [wanted, stamp]
                )
            return written
        groups: dict[tuple[date, str, str, str], tuple[list[int], list[int]]] = {}
        rows = StageDaily.objects.filter(day__gte=wanted[0], day__lte=wanted[-1] + timedelta(days=6))
        for row in rows:
            week = week_of(row.day)
            if week not in wanted:
                continue
            totals, counts = groups.setdefault(
                (week, row.stage, row.dimension, row.key), ([0, 0], buckets.empty())
            )
            totals[0] += row.count
            totals[1] += row.sum_seconds
            buckets.add(counts, row.buckets)
        StageWeekly.objects.filter(week__in=wanted).delete()
        StageWeekly.objects.bulk_create(
            StageWeekly(
                week=week,
                stage=stage,
                dimension=dimension,
                key=key,
                count=totals[0],
                sum_seconds=totals[1],
                buckets=counts,
            )
            for (week, stage, dimension, key), (totals, counts) in sorted(groups.items())
        )
        return len(groups)


def stage_daily_rows_python(*, days: Iterable[date]) -> list[StageDaily]:
    """The histograms of ``days`` computed in Python from the facts: the embedded mode's way, and
    the reference the set-based statement is tested against."""
    groups: dict[tuple[date, str, str, str], list[int]] = {}

    def count(day: date, stage: str, dimension: str, key: str, seconds: int | None) -> None:
        if seconds is None:
            return
        acc = groups.setdefault((day, stage, dimension, key), [0, 0, *buckets.empty()])
        acc[0] += 1
        acc[1] += seconds
        acc[2 + buckets.bucket_of(seconds)] += 1

    day_list = list(days)
    facts = list(ClearanceFact.objects.filter(day__in=day_list, outcome="released"))
    codes = dict(Agency.objects.values_list("pk", "code"))
    by_declaration: dict[int, set[str]] = defaultdict(set)
    by_id = {fact.declaration_id: fact for fact in facts}
    review_rows = list(
        ReviewFact.objects.filter(declaration_id__in=list(by_id)).values_list(
            "declaration_id", "agency_id", "day", "gross_seconds", "net_seconds"
        )
    )
    for declaration_id, agency_id, day, gross, net in review_rows:
        code = codes[agency_id]
        by_declaration[declaration_id].add(code)
        of = by_id[declaration_id]
        for stage, value in ((Stage.AGENCY, gross), (Stage.AGENCY_NET, net)):
            for dimension, key in (
                (Dimension.ALL, ""),
                (Dimension.AGENCY, code),
                (Dimension.LANE, of.lane),
                (Dimension.TYPE, of.declaration_type),
                (Dimension.OFFICE, of.office),
                (Dimension.DIRECTION, of.direction),
            ):
                count(day, stage, dimension, key, value)
    for fact in facts:
        for stage in DECLARATION_STAGES:
            seconds = getattr(fact, f"{stage}_seconds")
            keys = [
                (Dimension.ALL, ""),
                (Dimension.LANE, fact.lane),
                (Dimension.TYPE, fact.declaration_type),
                (Dimension.OFFICE, fact.office),
                (Dimension.DIRECTION, fact.direction),
                *((Dimension.AGENCY, code) for code in by_declaration[fact.declaration_id]),
            ]
            for dimension, key in keys:
                count(fact.day, stage, dimension, key, seconds)
    return [
        StageDaily(
            day=day,
            stage=stage,
            dimension=dimension,
            key=key,
            count=acc[0],
            sum_seconds=acc[1],
            buckets=acc[2:],
        )
        for (day, stage, dimension, key), acc in sorted(groups.items())
    ]


def facts_missing_record(*, since: datetime) -> set[date]:
    """Write the facts of decisions since ``since`` that have none, or an older one (an outbox
    message lost, a decision overridden): the few the outbox left behind. Returns their days."""
    stale = ReleaseDecision.objects.filter(decided_at__gte=since).exclude(
        Exists(
            ClearanceFact.objects.filter(
                declaration_id=OuterRef("declaration_id"), decided_at=OuterRef("decided_at")
            )
        )
    )
    days: set[date] = set()
    for declaration_id in stale.values_list("declaration_id", flat=True)[:MISSING_BATCH]:
        days |= fact_record(declaration_id=declaration_id)
    return days


def stage_daily_refresh_recent() -> int:
    """Beat's refresh: the facts the outbox missed over the last two days, then today's and
    yesterday's histograms (and those of any other day a missed fact fell on)."""
    today = timezone.localdate()
    since = timezone.make_aware(datetime.combine(today - timedelta(days=1), datetime.min.time()))
    days = facts_missing_record(since=since) | {today - timedelta(days=1), today}
    return stage_daily_refresh(days=days)
