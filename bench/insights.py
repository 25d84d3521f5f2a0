"""The Time Release Study's pages over a million declarations, on PostgreSQL.

Creates a fresh PostgreSQL database of its own and migrates it. Then, set-based (generate_series,
INSERT … SELECT), ``--declarations`` decided declarations (default 1,000,000) over the last 365
days, each with: a minimal ``Declaration`` row (header columns only: no goods items, parties,
documents, release decision, risk assessment or payment — the pages never read those), its
``ClearanceFact`` with stages drawn per lane (75 % green: reviews in minutes; 17 % yellow: hours;
8 % red: a day or more), a customs ``AgencyReview`` and for 40 % a second agency's, each with its
``ReviewFact`` (a tenth of them waited on the trader). So the facts are generated, not derived by
``insights_rebuild`` from full clearance records: the bench measures the pages and the histogram
aggregation (``stage_daily_refresh``, the real code, every day of the year), not the backfill.

Then times, in this process through Django's test client as a supervisor (sessions, middleware,
the queries, the charts and the templates), ``--rounds`` GETs of each page: the overview and every
breakdown over the default 13 weeks and over a whole year, with one filter (histograms) and with
two (read from the facts), a CSV table, the open data (cache cleared each time). Prints p50/p95
per page and compares with the previous run (bench/results/insights.json).

    .venv/bin/python bench/insights.py [--declarations 1000000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from common import django_in_process, fresh_database, machine, percentiles, record

OFFICES = ["GBLHR001", "GBFXT001", "GBDVR001", "GBSOU001", "GBMNC001", "GBBHX001", "GBTHP001", "GBLGP001"]
TYPES = ["IMA", "IMD", "IMZ", "EXA", "EXD", "COA"]
LODGED = "s.decided_at - (s.routing + s.review + s.payment + s.release) * interval '1 second'"


def _insert_select(model: Any, overrides: dict[str, str], source: str) -> tuple[str, list[Any]]:
    """``INSERT INTO <model> (every NOT NULL column) SELECT … FROM source``: the override's SQL
    expression where given, else the field's default, else '' for text; nullable columns left out."""
    from django.db import connection
    from django.db.models import CharField, TextField

    columns, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.column in overrides:
            columns.append(field.column)
            exprs.append(overrides[field.column])
        elif field.primary_key or field.null:
            continue
        elif field.has_default():
            columns.append(field.column)
            exprs.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        elif isinstance(field, CharField | TextField):
            columns.append(field.column)
            exprs.append("''")
        else:
            raise ValueError(f"{model.__name__}.{field.name} needs a value")
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {source}"  # noqa: S608
    return sql, params


def generate(n: int, lodger_id: int, agency_ids: list[int]) -> None:
    from django.db import connection, transaction

    from agencies.models import AgencyReview
    from declarations.models import Declaration
    from insights.models import ClearanceFact, ReviewFact

    fact, rfact = ClearanceFact._meta.db_table, ReviewFact._meta.db_table
    types = "ARRAY[" + ",".join(f"'{t}'" for t in TYPES) + "]"
    offices = "ARRAY[" + ",".join(f"'{o}'" for o in OFFICES) + "]"
    customs, others = agency_ids[0], agency_ids[1:]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        # One row per declaration with its draws: when it was decided, its lane, type, office.
        cursor.execute(
            f"""
            CREATE TEMP TABLE draw AS
            SELECT i,
                   now() - (random() * interval '365 days') AS decided_at,
                   CASE WHEN r < 0.75 THEN 'green' WHEN r < 0.92 THEN 'yellow' ELSE 'red' END AS lane,
                   ({types})[1 + floor(power(random(), 1.6) * {len(TYPES)})::int] AS declaration_type,
                   ({offices})[1 + floor(power(random(), 1.4) * {len(OFFICES)})::int] AS office,
                   random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5,
                   random() AS u6
            FROM (SELECT i, random() AS r FROM generate_series(1, %s) AS i) g
            """,  # noqa: S608 - our constants
            [n],
        )
        cursor.execute(
            """
            CREATE TEMP TABLE stage AS
            SELECT d.*, floor(-ln(1 - d.u1) * 45)::bigint AS routing,
                   floor(exp(ln(CASE d.lane WHEN 'green' THEN 900 WHEN 'yellow' THEN 14400 ELSE 90000 END)
                             + 0.9 * sqrt(-2 * ln(1 - d.u2)) * cos(2 * pi() * d.u3)))::bigint AS review,
                   CASE WHEN d.u4 < 0.5 THEN 0 ELSE floor(-ln(1 - d.u4) * 5400)::bigint END AS payment,
                   floor(-ln(1 - d.u5) * CASE d.lane WHEN 'red' THEN 7200 ELSE 240 END)::bigint AS release
            FROM draw d
            """
        )
        sql, params = _insert_select(
            Declaration,
            {
                "mrn": "'26GBBN' || lpad(s.i::text, 12, '0')",
                "lrn": "'BN-' || s.i",
                "status": "CASE WHEN s.u6 < 0.97 THEN 'released' ELSE 'refused' END",
                "channel": "'api_json'",
                "direction": "CASE WHEN left(s.declaration_type, 2) = 'EX' THEN 'export' ELSE 'import' END",
                "lodged_by_id": str(int(lodger_id)),
                "created_at": LODGED,
                "updated_at": "s.decided_at",
                "accepted_at": LODGED,
                "type_code": "left(s.declaration_type, 2)",
                "additional_type": "right(s.declaration_type, 1)",
                "presentation_office": "s.office",
            },
            "stage s ORDER BY s.i",
        )
        cursor.execute(sql, params)
        cursor.execute(
            f"""
            INSERT INTO {fact} (declaration_id, outcome, direction, declaration_type, office, lane, lodged_at,
                                routed_at, reviews_done_at, payment_at, decided_at, day, routing_seconds,
                                review_seconds, payment_seconds, release_seconds, total_seconds, refreshed_at)
            SELECT d.id, d.status, d.direction, s.declaration_type, s.office, s.lane, d.accepted_at,
                   d.accepted_at + s.routing * interval '1 second',
                   d.accepted_at + (s.routing + s.review) * interval '1 second',
                   CASE WHEN s.payment > 0 THEN d.accepted_at + (s.routing + s.review + s.payment)
                        * interval '1 second' END,
                   s.decided_at, s.decided_at::date, s.routing, s.review, s.payment, s.release,
                   s.routing + s.review + s.payment + s.release, now()
            FROM stage s JOIN {Declaration._meta.db_table} d ON d.mrn = '26GBBN' || lpad(s.i::text, 12, '0')
            """  # noqa: S608
        )
        # Customs reviews every declaration; 40 % go to a second agency too.
        others_sql = "ARRAY[" + ",".join(str(int(a)) for a in others) + "]"
        review_source = f"""
            (SELECT f.declaration_id, {int(customs)} AS agency_id, f.routed_at AS started,
                    f.routed_at + floor(f.review_seconds * (0.3 + 0.7 * random())) * interval '1 second'
                        AS decided
             FROM {fact} f
             UNION ALL
             SELECT f.declaration_id, ({others_sql})[1 + mod(f.declaration_id, {len(others)})::int],
                    f.routed_at, f.reviews_done_at
             FROM {fact} f WHERE random() < 0.4) r
        """  # noqa: S608
        sql, params = _insert_select(
            AgencyReview,
            {
                "declaration_id": "r.declaration_id",
                "agency_id": "r.agency_id",
                "status": "'approved'",
                "created_at": "r.started",
                "decided_at": "r.decided",
                "due_at": "r.started + interval '24 hours'",
                "updated_at": "r.decided",
            },
            review_source,
        )
        cursor.execute(sql, params)
        cursor.execute(
            f"""
            INSERT INTO {rfact} (review_id, declaration_id, agency_id, status, started_at, decided_at, day,
                                 gross_seconds, waiting_seconds, net_seconds)
            SELECT r.id, r.declaration_id, r.agency_id, r.status, r.created_at, r.decided_at, f.day, g.gross,
                   w.waiting, g.gross - w.waiting
            FROM {AgencyReview._meta.db_table} r JOIN {fact} f ON f.declaration_id = r.declaration_id
            CROSS JOIN LATERAL (
                SELECT floor(extract(epoch FROM r.decided_at - r.created_at))::bigint AS gross
            ) g
            CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.1 THEN floor(g.gross * random() * 0.5)::bigint
                                            ELSE 0 END AS waiting) w
            """  # noqa: S608
        )
        cursor.execute("DROP TABLE draw; DROP TABLE stage")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(client: Any, url: str, rounds: int, *, before: Any = None) -> dict[str, float]:
    assert client.get(url).status_code == 200, url  # warm up
    samples = []
    for _ in range(rounds):
        if before:
            before()
        t = time.perf_counter()
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        samples.append(time.perf_counter() - t)
        assert response.status_code == 200, url
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of the last run (no generation)"
    )
    parser.add_argument("--reaggregate", action="store_true", help="with --reuse: the histograms again")
    args = parser.parse_args()

    name = "singlewindow_bench_insights"
    url = f"{args.pg}/{name}" if args.reuse else fresh_database(args.pg, name)
    django_in_process(url, migrate=not args.reuse, static=not args.reuse)

    from django.contrib.auth.models import Group
    from django.core.cache import cache
    from django.utils import timezone

    from accounts.models import User
    from agencies.models import Agency
    from insights import services
    from insights.models import ClearanceFact, ReviewFact, StageDaily
    from tests.two_factor import PortalClient

    def user(username: str, role: str) -> User:
        found, _created = User.objects.get_or_create(username=username)
        found.groups.add(Group.objects.get_or_create(name=role)[0])
        return found

    supervisor = user("bench-supervisor", "supervisor")
    timings: dict[str, float] = {}
    if not args.reuse:
        lodger = user("bench-lodger", "trader")
        agencies = [Agency.objects.create(code="customs", name="Customs and Excise", is_customs=True)]
        for code, agency_name in (
            ("plant-health", "Plant Health Inspectorate"),
            ("food-safety", "Food Safety Authority"),
            ("standards", "Bureau of Standards"),
            ("veterinary", "Veterinary Services"),
            ("pharmacy", "Medicines Board"),
        ):
            agencies.append(Agency.objects.create(code=code, name=agency_name))
        started = time.perf_counter()
        generate(args.declarations, lodger.pk, [a.pk for a in agencies])
        timings["generate_s"] = round(time.perf_counter() - started, 1)
        days = list(ClearanceFact.objects.values_list("day", flat=True).distinct())
        started = time.perf_counter()
        services.stage_daily_refresh(days=days)
        timings["aggregate_year_s"] = round(time.perf_counter() - started, 1)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if args.reuse and args.reaggregate:
        days = list(ClearanceFact.objects.values_list("day", flat=True).distinct())
        started = time.perf_counter()
        services.stage_daily_refresh(days=days)
        timings["aggregate_year_s"] = round(time.perf_counter() - started, 1)
    today = timezone.localdate()
    # What each new decision costs the worker: that day's histograms again (set-based).
    refresh: list[float] = []
    for _ in range(5):
        started = time.perf_counter()
        services.stage_daily_refresh(days=[today - timedelta(days=1)])
        refresh.append(time.perf_counter() - started)

    client = PortalClient()
    client.force_login(supervisor)
    year = f"date_from={(today - timedelta(days=364)).isoformat()}&date_to={today.isoformat()}"
    pages = {
        "overview": "/insights/",
        "overview_year": f"/insights/?{year}",
        "overview_one_filter_year": f"/insights/?{year}&lane=red",
        "overview_two_filters": "/insights/?lane=red&type=IMA",
        "overview_two_filters_year": f"/insights/?{year}&lane=red&type=IMA",
        "agency": "/insights/time-release/agency/",
        "agency_year": f"/insights/time-release/agency/?{year}",
        "lane_year": f"/insights/time-release/lane/?{year}",
        "type_year": f"/insights/time-release/type/?{year}",
        "office": "/insights/time-release/office/",
        "office_year": f"/insights/time-release/office/?{year}",
        "direction_year": f"/insights/time-release/direction/?{year}",
        "csv_trend_year": f"/insights/?{year}&format=csv&table=trend",
    }
    figures: dict[str, Any] = {}
    for key, page in pages.items():
        result = timed(client, page, args.rounds)
        figures[f"{key}_p50_ms"], figures[f"{key}_p95_ms"] = result["p50_ms"], result["p95_ms"]
        print(f"{key:<28} p50 {result['p50_ms']:>7} ms  p95 {result['p95_ms']:>7} ms", flush=True)
    anonymous = PortalClient()
    result = timed(anonymous, "/insights/open-data/release-times.json", args.rounds, before=cache.clear)
    figures["open_data_uncached_p50_ms"], figures["open_data_uncached_p95_ms"] = (
        result["p50_ms"],
        result["p95_ms"],
    )
    figures["refresh_one_day_p50_ms"] = percentiles(refresh * 4)["p50_ms"]
    figures["worst_page_p95_ms"] = max(v for k, v in figures.items() if k.endswith("_p95_ms"))
    figures.update(timings)
    record(
        "insights",
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "settings": {
                "declarations": ClearanceFact.objects.count(),
                "review_facts": ReviewFact.objects.count(),
                "stage_daily_rows": StageDaily.objects.count(),
                "rounds": args.rounds,
                "database": "PostgreSQL (native)",
                "debug": False,
                "client": "Django test client in-process (middleware, sessions, templates; no HTTP server)",
                "data": "generated facts with minimal declaration and review rows (see the docstring)",
                "load_average": os.getloadavg(),
            },
            "figures": figures,
        },
        [
            "overview_p95_ms",
            "overview_year_p95_ms",
            "overview_two_filters_p95_ms",
            "office_year_p95_ms",
            "worst_page_p95_ms",
        ],
    )


if __name__ == "__main__":
    main()
