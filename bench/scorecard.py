"""Service levels, the scorecard and trade statistics over a million declarations, on PostgreSQL.

Creates a fresh PostgreSQL database of its own, migrates it and seeds the demo. Then, set-based
(generate_series, INSERT … SELECT), ``--declarations`` declarations (default 1,000,000) accepted over
the last 365 days (95 % released), each with two goods items (97 chapters, 30 origins), a customs
review and for 40 % a second agency's (decided within minutes to two days; the in-review ones open,
some overdue), a control for one in ten (a fifth non-compliant), a satisfaction rating for one in
ten, 20,000 service requests, and a year of the Time Release Study's daily histograms
(``StageDaily``, generated: that study's own bench measures their making). No ledger: revenue reads
the same query as the revenue page (bench/payments.py).

Times the refreshes the beat runs (``trade_monthly_refresh`` of a month, ``service_level_refresh``
of a day) and the rebuilds (13 months; 365 days), then ``--rounds`` GETs of each page through
Django's test client as a supervisor (sessions, middleware, queries, charts, templates): service
levels (90 days, a year, a page of breaches, CSV), statistics (12 months, one origin, CSV, the
open data), the scorecard (90 days, a year). Prints p50/p95 and compares with the previous run
(bench/results/scorecard.json).

    .venv/bin/python bench/scorecard.py [--declarations 1000000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import timedelta
from typing import Any

from common import django_in_process, fresh_database, machine, percentiles, record

ORIGINS = "CN US IN DE FR IT JP KR VN TR BR MX TH ID MY ES NL BE PL CH ZA KE EG MA NG AR CL PE CO CA".split()  # noqa: SIM905


def _insert_select(model: Any, overrides: dict[str, str], source: str) -> tuple[str, list[Any]]:
    """``INSERT INTO <model> (every NOT NULL column) SELECT … FROM source``: the override's SQL
    expression where given, else the field's default, else '' for text; nullable columns left out."""
    import json

    from django.db.models import JSONField

    columns, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.column in overrides:
            columns.append(field.column)
            exprs.append(overrides[field.column])
        elif field.primary_key or field.null:
            continue
        elif field.has_default():
            default = field.get_default()
            columns.append(field.column)
            if isinstance(field, JSONField):
                exprs.append("%s::jsonb")
                params.append(json.dumps(default))
            else:
                exprs.append("%s")
                params.append(default)
        else:
            columns.append(field.column)
            exprs.append("''")
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {source}"  # noqa: S608 - ours
    return sql, params


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--reuse", action="store_true", help="time the pages on the database of the last run (no generation)"
    )
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()

    django_in_process(
        f"{args.pg}/singlewindow_bench_scorecard"
        if args.reuse
        else fresh_database(args.pg, "singlewindow_bench_scorecard"),
        static=True,
    )

    from django.core.cache import cache
    from django.db import connection
    from django.utils import timezone

    from accounts.models import TraderAccount, User
    from agencies.models import Agency, AgencyReview
    from clearance.demo import seed_demo
    from clearance.models import ControlTask
    from declarations.models import Declaration, GoodsItem
    from insights import buckets, service_levels, statistics
    from insights.models import ServiceLevelBreach, StageDaily, TradeMonthly
    from support.models import SatisfactionRating, ServiceRequest
    from tests.two_factor import PortalClient

    if not args.reuse:
        seed_demo(outside_embedded=True)
    supervisor = User.objects.get(username="supervisor")
    importer = User.objects.get(username="importer")
    account = TraderAccount.objects.order_by("pk").first()
    assert account is not None
    customs = Agency.objects.get(is_customs=True)
    other = Agency.objects.exclude(pk=customs.pk).order_by("pk").first()
    assert other is not None

    def generate(args: Any, figures: dict[str, Any]) -> float:
        """Generate the data set and time the refreshes (a fresh database)."""
        n = args.declarations
        started = time.perf_counter()
        with connection.cursor() as cursor:

            def run(model: Any, overrides: dict[str, str], source: str) -> None:
                # The SQL goes through the driver's %-formatting (the defaults are parameters).
                escaped = {column: expr.replace("%", "%%") for column, expr in overrides.items()}
                sql, params = _insert_select(model, escaped, source.replace("%", "%%"))
                cursor.execute(sql, params)

            at = "now() - ((g % 365) || ' days')::interval - ((g % 1440) || ' minutes')::interval"
            run(
                Declaration,
                {
                    "mrn": "'26BENCH' || lpad(g::text, 11, '0')",
                    "lrn": "'BENCH-' || g",
                    "status": "CASE WHEN g % 20 = 0 THEN 'in_review' ELSE 'released' END",
                    "channel": "'api_json'",
                    "direction": "CASE WHEN g % 5 = 0 THEN 'export' ELSE 'import' END",
                    "type_code": "CASE WHEN g % 5 = 0 THEN 'EX' ELSE 'IM' END",
                    "additional_type": "'A'",
                    "declarant_account_id": str(account.pk),
                    "trader_account_id": str(account.pk),
                    "lodged_by_id": str(importer.pk),
                    "created_at": at,
                    "updated_at": at,
                    "accepted_at": at,
                },
                f"generate_series(1, {n}) g",
            )
            bench = "declarations_declaration d WHERE d.lrn LIKE 'BENCH-%'"
            origins = "ARRAY[" + ",".join(f"'{o}'" for o in ORIGINS) + "]"
            run(
                GoodsItem,
                {
                    "declaration_id": "d.id",
                    "position": "s",
                    "sequence": "s",
                    "description": "'bench goods'",
                    "commodity_code": "lpad(((d.id * 7 + s * 13) % 97 + 1)::text, 2, '0') || '019000'",
                    "hs_subheading": "lpad(((d.id * 7 + s * 13) % 97 + 1)::text, 2, '0') || '0190'",
                    "origin_country": f"({origins})[1 + (d.id + s) % 30]",
                    "net_mass": "((d.id % 997) + 1) * 1.5",
                    "value_amount": "((d.id % 4999) + 1) * 3",
                    "value_currency": "'GBP'",
                },
                "declarations_declaration d CROSS JOIN generate_series(1, 2) s WHERE d.lrn LIKE 'BENCH-%'",
            )
            decided = "d.accepted_at + interval '1 minute' + ((d.id % 2880) || ' minutes')::interval"
            for agency, where in ((customs, ""), (other, " AND d.id % 5 < 2")):
                run(
                    AgencyReview,
                    {
                        "declaration_id": "d.id",
                        "agency_id": str(agency.pk),
                        "status": "CASE WHEN d.status = 'released' THEN 'approved' ELSE 'pending' END",
                        "created_at": "d.accepted_at + interval '1 minute'",
                        "due_at": (
                            "d.accepted_at + interval '1 minute'"
                            f" + interval '{agency.service_level_hours} hours'"
                        ),
                        "decided_at": f"CASE WHEN d.status = 'released' THEN {decided} END",
                        "updated_at": "d.accepted_at",
                        "priority": "0",
                    },
                    bench + where,
                )
            run(
                ControlTask,
                {
                    "declaration_id": "d.id",
                    "kind": "'documentary'",
                    "agency_id": str(customs.pk),
                    "status": "'done'",
                    "outcome": "CASE WHEN d.id % 50 = 0 THEN 'non_compliant' ELSE 'compliant' END",
                    "completed_at": "d.accepted_at + interval '2 hours'",
                    "created_at": "d.accepted_at",
                },
                bench + " AND d.id % 10 = 0",
            )
            run(
                SatisfactionRating,
                {
                    "declaration_id": "d.id",
                    "user_id": str(importer.pk),
                    "score": "1 + d.id % 5",
                    "created_at": "d.accepted_at + interval '3 days'",
                },
                bench + " AND d.id % 10 = 3 AND d.status = 'released'",
            )
            run(
                ServiceRequest,
                {
                    "opened_by_id": str(importer.pk),
                    "category": "'declaration'",
                    "subject": "'bench'",
                    "status": "'answered'",
                    "created_at": "now() - ((g % 365) || ' days')::interval",
                    "due_at": "now() - ((g % 365) || ' days')::interval + interval '24 hours'",
                    "first_response_at": (
                        "now() - ((g % 365) || ' days')::interval + ((g % 40) || ' hours')::interval"
                    ),
                },
                "generate_series(1, 20000) g",
            )
            cursor.execute("ANALYZE")
        rng = random.Random(11)
        today = timezone.localdate()
        daily = []
        for day in range(365):
            for stage, scale in (("total", 7200.0), ("routing", 2.0)):
                for dimension, keys in (("all", [""]), ("type", ["IMA", "EXA", "IMD"])):
                    for key in keys:
                        values = [rng.expovariate(1 / scale) for _ in range(50)]
                        daily.append(
                            StageDaily(
                                day=today - timedelta(days=day),
                                stage=stage,
                                dimension=dimension,
                                key=key,
                                count=n // 365,
                                sum_seconds=int(sum(values) * n / 365 / 50),
                                buckets=[c * (n // 365 // 50) for c in buckets.histogram(values)],
                            )
                        )
        StageDaily.objects.bulk_create(daily, batch_size=2000)
        generated = time.perf_counter() - started

        def timed(label: str, call: Any) -> float:
            t = time.perf_counter()
            call()
            seconds = time.perf_counter() - t
            figures[label] = round(seconds * 1000, 1)
            print(f"{label}: {seconds * 1000:.0f} ms", flush=True)
            return seconds

        first_month = this_month = statistics.month_start(today)
        for _ in range(12):
            first_month = statistics.month_start(first_month - timedelta(days=1))

        def rebuild_trade() -> None:
            for month in statistics.months_between(first_month, this_month):
                statistics.trade_monthly_refresh(first=month, last=month)

        timed("trade_rebuild_13_months_ms", rebuild_trade)
        timed("trade_refresh_recent_ms", statistics.trade_monthly_refresh_recent)

        def rebuild_levels() -> None:
            day = today - timedelta(days=364)
            while day <= today:
                last = min(day + timedelta(days=30), today)
                service_levels.service_level_refresh(first=day, last=last)
                day = last + timedelta(days=1)

        timed("service_levels_rebuild_365_days_ms", rebuild_levels)
        timed("service_levels_refresh_recent_ms", service_levels.service_level_refresh_recent)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            return generated

    n = args.declarations
    figures: dict[str, Any] = {}
    generated = 0.0
    if not args.reuse:
        generated = generate(args, figures)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have by now: index-only scans count
    counts = {
        "declarations": Declaration.objects.count(),
        "goods_items": GoodsItem.objects.count(),
        "reviews": AgencyReview.objects.count(),
        "controls": ControlTask.objects.count(),
        "ratings": SatisfactionRating.objects.count(),
        "breaches": ServiceLevelBreach.objects.count(),
        "trade_rows": TradeMonthly.objects.count(),
    }
    print(counts, flush=True)
    today = timezone.localdate()
    client = PortalClient()
    client.force_login(supervisor)
    year = {"date_from": (today - timedelta(days=364)).isoformat(), "date_to": today.isoformat()}
    pages = {
        "service_levels_90d": ("/insights/service-levels/", {}),
        "service_levels_year": ("/insights/service-levels/", year),
        "service_levels_breaches_p5": ("/insights/service-levels/", {"page": "5"}),
        "service_levels_csv_agencies": ("/insights/service-levels/agencies.csv", {}),
        "statistics_12m": ("/insights/statistics/", {}),
        "statistics_origin": ("/insights/statistics/", {"origin": "CN"}),
        "statistics_csv_chapters": ("/insights/statistics/chapters.csv", {}),
        "statistics_open_data": ("/insights/open-data/trade-statistics.json", {}),
        "scorecard_90d": ("/insights/scorecard/", {}),
        "scorecard_year": ("/insights/scorecard/", year),
    }
    for name, (url, params) in pages.items():
        samples = []
        for _ in range(args.rounds):
            cache.clear()
            t = time.perf_counter()
            response = client.get(url, params)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            samples.append(time.perf_counter() - t)
            assert response.status_code == 200, (name, response.status_code)
        p = percentiles(samples)
        figures[f"{name}_p50_ms"] = p["p50_ms"]
        figures[f"{name}_p95_ms"] = p["p95_ms"]
        print(f"{name}: p50 {p['p50_ms']} ms, p95 {p['p95_ms']} ms", flush=True)

    record(
        "scorecard",
        {
            "when": timezone.now().isoformat(timespec="seconds"),
            "machine": machine(),
            "declarations": n,
            "counts": counts,
            "rounds": args.rounds,
            "generate_seconds": round(generated, 1),
            "figures": figures,
        },
        [k for k in figures if k.endswith("_p95_ms")],
    )


if __name__ == "__main__":
    main()
