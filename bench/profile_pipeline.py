"""Where a lodgement's and a routing's time goes: queries counted, time sampled, in one process.

Creates a fresh PostgreSQL database (``singlewindow_bench_profile``), migrates, seeds the demo with
every agency deciding automatically, then, in this process on the production settings (DEBUG off):

- lodges the real accepted XML samples of ../shared/data through ``POST /api/v1/declarations``
  (Django's test client: the whole middleware stack, token authentication, the view, services,
  the answer), with routing held back (the outbox handler is taken off for the lodgements);
- routes each lodged declaration with ``clearance.services.declaration_route`` (routing, risk,
  assessment, automatic decisions, consolidation, release).

For each it prints queries per call (grouped by the table they touch first) and a cProfile of the
lodgements and of the routings (cumulative time per function, the top entries), and the wall time
per stage from a small hand-placed timer (``--stages``).

    .venv/bin/python bench/profile_pipeline.py [--declarations 200] [--top 40] [--out FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from collections import Counter
from datetime import UTC, datetime

from common import ROOT, fresh_database, machine, manage, percentiles, record
from lodge import sample_bodies
from pipeline import with_lrn

ENV = {
    "DEBUG": "false",
    "SW_AUTO_DECIDE_ALLOWED": "true",
    "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "LOG_LEVEL": "ERROR",
    "SW_LODGE_THROTTLE": "1000000/minute",
}

TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"([a-z_]+)"', re.I)


def kind_of(sql: str) -> str:
    verb = sql.split(None, 1)[0].upper()
    match = TABLE.search(sql)
    return f"{verb} {match.group(1) if match else ''}".strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--declarations", type=int, default=200)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--no-setup", action="store_true", help="reuse the database as it is")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--show-sql", action="store_true")
    args = parser.parse_args()

    name = "singlewindow_bench_profile"
    db = f"{args.pg}/{name}" if args.no_setup else fresh_database(args.pg, name)
    os.environ.update(ENV, DATABASE_URL=db)
    os.environ.pop("CELERY_BROKER_URL", None)
    if not args.no_setup:
        manage(dict(os.environ), "migrate", "--noinput")
        manage(dict(os.environ), "seed_demo", "--json", "--auto-decide", "--force-outside-embedded")

    # bench/ holds modules named like the apps (payments.py): the project's root comes first, and
    # is the working directory (Celery puts the working directory on the path).
    os.chdir(ROOT)
    sys.path[:] = [str(ROOT)] + [p for p in sys.path if os.path.abspath(p or ".") != str(ROOT / "bench")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "singlewindow.settings")
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from accounts.services import api_token_create
    from clearance import services as clearance_services
    from declarations.models import Declaration
    from singlewindow import outbox

    broker = User.objects.get(username="broker")
    _token, key = api_token_create(user=broker, name="profile")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    samples = sample_bodies()
    stamp = str(int(time.time()))[-6:]

    held = outbox._HANDLERS.pop("declarations.declaration.accepted")  # routing is run below

    def lodge(n: int) -> tuple[int, str]:
        body = with_lrn(samples[n % len(samples)], f"P{stamp}{n:06d}")
        response = client.post("/api/v1/declarations", body, content_type="application/xml")
        assert response.status_code == 201, response.content[:500]
        return response.status_code, response.json()["mrn"]

    for n in range(5):  # warm up: imports, schema, caches
        lodge(10_000 + n)
    lodge_counts, lodge_kinds, lodge_s, mrns = [], Counter(), [], []
    lodge_ms: Counter[str] = Counter()
    profiler = cProfile.Profile()
    example_lodge: list[str] = []
    for n in range(args.declarations):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            profiler.enable()
            _, mrn = lodge(n)
            profiler.disable()
            lodge_s.append(time.perf_counter() - started)
        mrns.append(mrn)
        lodge_counts.append(len(queries.captured_queries))
        lodge_kinds.update(kind_of(q["sql"]) for q in queries.captured_queries)
        for q in queries.captured_queries:
            lodge_ms[kind_of(q["sql"])] += float(q["time"]) * 1000
        if n == 0:
            example_lodge = [q["sql"][:200] for q in queries.captured_queries]
    lodge_profile = io.StringIO()
    pstats.Stats(profiler, stream=lodge_profile).sort_stats("cumulative").print_stats(args.top)
    pstats.Stats(profiler, stream=lodge_profile).sort_stats("tottime").print_stats(args.top)
    project = r"/(declarations|clearance|payments|agencies|singlewindow|accounts|insights)/"
    pstats.Stats(profiler, stream=lodge_profile).sort_stats("cumulative").print_stats(project, args.top)
    outbox._HANDLERS["declarations.declaration.accepted"] = held

    ids = list(Declaration.objects.filter(mrn__in=mrns).values_list("pk", flat=True))
    warm = Declaration.objects.filter(lrn__startswith=f"P{stamp}01").values_list("pk", flat=True)
    for pk in warm:
        clearance_services.declaration_route(declaration_id=pk)
    route_counts, route_kinds, route_s, route_tx = [], Counter(), [], []
    route_ms: Counter[str] = Counter()
    profiler = cProfile.Profile()
    example_route: list[str] = []
    for n, pk in enumerate(ids):
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            profiler.enable()
            clearance_services.declaration_route(declaration_id=pk)
            profiler.disable()
            route_s.append(time.perf_counter() - started)
        route_counts.append(len(queries.captured_queries))
        sqls = [q["sql"] for q in queries.captured_queries]
        commit = next((i for i, q in enumerate(sqls) if q.startswith("COMMIT")), len(sqls) - 1)
        route_tx.append(commit + 1)  # BEGIN … COMMIT of the routing itself; after: the outbox's work
        route_kinds.update(kind_of(q["sql"]) for q in queries.captured_queries)
        for q in queries.captured_queries:
            route_ms[kind_of(q["sql"])] += float(q["time"]) * 1000
        if n == 0:
            example_route = [q["sql"][:200] for q in queries.captured_queries]
    route_profile = io.StringIO()
    pstats.Stats(profiler, stream=route_profile).sort_stats("cumulative").print_stats(args.top)
    pstats.Stats(profiler, stream=route_profile).sort_stats("tottime").print_stats(args.top)
    pstats.Stats(profiler, stream=route_profile).sort_stats("cumulative").print_stats(project, args.top)

    released = Declaration.objects.filter(pk__in=ids, status="released").count()
    n = len(ids)
    summary = {
        "declarations": n,
        "released": released,
        "load_average": os.getloadavg(),
        "lodgement_queries_mean": round(sum(lodge_counts) / n, 1),
        "lodgement_queries_min_max": [min(lodge_counts), max(lodge_counts)],
        "lodgement": percentiles(lodge_s),
        "routing_queries_mean": round(sum(route_counts) / n, 1),
        "routing_queries_min_max": [min(route_counts), max(route_counts)],
        "routing_transaction_statements_mean": round(sum(route_tx) / n, 1),
        "routing_transaction_statements_min_max": [min(route_tx), max(route_tx)],
        "routing": percentiles(route_s),
        "lodgement_sql_ms_per_call": round(sum(lodge_ms.values()) / n, 1),
        "routing_sql_ms_per_call": round(sum(route_ms.values()) / n, 1),
        "lodgement_queries_by_kind_per_call": {
            k: [round(v / n, 2), round(lodge_ms[k] / n, 2)] for k, v in lodge_kinds.most_common()
        },
        "routing_queries_by_kind_per_call": {
            k: [round(v / n, 2), round(route_ms[k] / n, 2)] for k, v in route_kinds.most_common()
        },
    }
    print("queries by kind: [per call, ms per call]")
    record(
        "profile-pipeline",
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "settings": {"declarations": n, "in_process": True, "cprofile_on": True, "debug": False},
            "figures": summary,
        },
        [
            "lodgement_queries_mean",
            "routing_queries_mean",
            "lodgement_sql_ms_per_call",
            "routing_sql_ms_per_call",
        ],
    )
    if args.show_sql:
        print("\n--- first lodgement's statements"), print("\n".join(example_lodge))
        print("\n--- first routing's statements"), print("\n".join(example_route))
    print("\n--- lodgement profile (cumulative)")
    print(lodge_profile.getvalue())
    print("\n--- routing profile (cumulative)")
    print(route_profile.getvalue())


if __name__ == "__main__":
    main()
