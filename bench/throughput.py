"""End-to-end throughput of the pipeline beside its bare floor, measured in the same run.

1. The full stack, as bench/pipeline.py starts it (private redis-server, gunicorn, a real Celery
   worker, PostgreSQL on a fresh ``singlewindow_bench_throughput`` database, every agency deciding
   automatically): N declarations, the real accepted WCO DM XML samples of ../shared/data each with
   a fresh LRN, lodged over HTTP (``POST /api/v1/declarations``, ``Content-Type:
   application/xml``) by the demo broker from concurrent clients; the worker routes, assesses,
   decides automatically and releases. Declarations per second from the first acceptance to the
   last release decision (database clocks), release p50/p95 (acceptance → release decision),
   lodgement p50/p95 (the HTTP call as the client sees it).
2. The bare floor (bench/floor.py): the same messages parsed and schema-validated with lxml, header
   and items stored with psycopg2, the id published on Redis, consumed, routed and released with
   plain SQL, with as many lodger processes as gunicorn workers and as many consumers as the
   Celery pool, measured the same way, after the stack has stopped (they never share the CPUs).

Prints both, the ratio, the machine, its load average before and after each part, the settings,
compares with bench/results/throughput.json (and with pipeline.json's last end-to-end figure)
and keeps the new result there.

    .venv/bin/python bench/throughput.py [--declarations 500] [--concurrency 8] [--workers 2]
                                         [--threads 1] [--celery-concurrency 2]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import floor
from common import (
    RESULTS,
    celery_worker,
    free_port,
    fresh_database,
    gunicorn,
    machine,
    manage,
    percentiles,
    record,
    redis_server,
)
from lodge import post, sample_bodies
from pipeline import api_token, pipeline_figures, wait_released, with_lrn


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--declarations", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread if > 1)")
    parser.add_argument("--celery-concurrency", type=int, default=4)
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()

    loads: dict[str, list[float]] = {"start": load()}
    db = fresh_database(args.pg, "singlewindow_bench_throughput")
    samples = sample_bodies()

    with redis_server(port=free_port()) as broker:
        env = {
            **os.environ,
            "DATABASE_URL": db,
            "DEBUG": "false",
            "SW_AUTO_DECIDE_ALLOWED": "true",  # every agency decides automatically (throwaway database)
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": broker,
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "ERROR",
            "SW_LODGE_THROTTLE": "1000000/minute",  # one demo broker lodges everything
        }
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        users = json.loads(manage(env, "seed_demo", "--json", "--force-outside-embedded", "--auto-decide"))
        queues = "celery," + manage(env, "agency_queues").strip()
        broker_user = next(u for u in users if u["username"] == "broker")
        bodies = [with_lrn(samples[n % len(samples)], f"PIPE{n:08d}") for n in range(args.declarations)]

        with (
            gunicorn(env, workers=args.workers, port=free_port(), threads=args.threads) as base,
            celery_worker(env, concurrency=args.celery_concurrency, queues=queues),
        ):
            token = api_token(base, broker_user)
            for n, body in enumerate(samples[:16]):  # warm up the web and pool processes
                post(base, token, with_lrn(body, f"WARMUP{n}"))
            wait_released(db, "WARMUP", 16)
            loads["stack_before"] = load()
            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(lambda b: post(base, token, b), bodies))
            lodging = time.perf_counter() - started
            statuses: dict[str, int] = {}
            for _, code in results:
                statuses[str(code)] = statuses.get(str(code), 0) + 1
            accepted = statuses.get("201", 0)
            drain = wait_released(db, "PIPE", accepted)
            loads["stack_after"] = load()
        lodge = percentiles([latency for latency, _ in results])
        stack = {
            **pipeline_figures(db, "PIPE"),
            "lodged_per_second": round(accepted / lodging, 1),
            "lodge_p50_ms": lodge["p50_ms"],
            "lodge_p95_ms": lodge["p95_ms"],
            "drain_after_last_lodgement_s": round(drain, 2),
            "accepted": accepted,
            "statuses": statuses,
        }

        bare: dict[str, object] = {}
        if not args.skip_floor:
            loads["floor_before"] = load()
            floor_bodies = [
                with_lrn(samples[n % len(samples)], f"FLOOR{n:08d}") for n in range(args.declarations)
            ]
            bare = floor.run(
                db=db,
                redis_url=broker,
                bodies=floor_bodies,
                lodgers=args.workers,
                consumers=args.celery_concurrency,
            )
            loads["floor_after"] = load()

    e2e = stack["end_to_end_declarations_per_second"]
    figures: dict[str, object] = {
        "end_to_end_declarations_per_second": e2e,
        "release_p50_ms": stack["release_p50_ms"],
        "release_p95_ms": stack["release_p95_ms"],
        "lodge_p50_ms": stack["lodge_p50_ms"],
        "lodge_p95_ms": stack["lodge_p95_ms"],
        "stack": stack,
    }
    if bare:
        figures["floor_end_to_end_declarations_per_second"] = bare["end_to_end_declarations_per_second"]
        figures["floor"] = bare
        figures["floor_to_stack_ratio"] = round(float(bare["end_to_end_declarations_per_second"]) / e2e, 1)
    pipeline_last = RESULTS / "pipeline.json"
    previous_pipeline = (
        json.loads(pipeline_last.read_text())["figures"].get("end_to_end_declarations_per_second")
        if pipeline_last.exists()
        else None
    )
    record(
        "throughput",
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "load_average_1_5_15": loads,
            "settings": {
                "declarations": args.declarations,
                "lodgement": "WCO DM XML over HTTP (application/xml), real accepted samples, fresh LRNs",
                "samples": len(samples),
                "client_concurrency": args.concurrency,
                "gunicorn_workers": args.workers,
                "gunicorn_threads": args.threads,
                "celery_worker_concurrency": args.celery_concurrency,
                "celery_pool": "prefork",
                "agencies": "all decide automatically (seed_demo --auto-decide)",
                "database": "PostgreSQL (native), CONN_MAX_AGE=60",
                "broker": "Redis (private redis-server, no persistence)",
                "debug": False,
                "floor": "bench/floor.py: lxml + the same XSDs, psycopg2, redis; lodgers = gunicorn "
                "workers, consumers = Celery pool",
            },
            "figures": figures,
            "previous_pipeline_json_end_to_end": previous_pipeline,
        },
        [
            "end_to_end_declarations_per_second",
            "release_p95_ms",
            "lodge_p95_ms",
            "floor_end_to_end_declarations_per_second",
            "floor_to_stack_ratio",
        ],
    )
    print(f"\nLoad average (1, 5, 15 min) along the run: {loads}")
    print(f"pipeline.json's last end-to-end figure: {previous_pipeline}/s")
    if bare:
        print(
            f"Stack {e2e}/s end to end vs bare floor {bare['end_to_end_declarations_per_second']}/s: "
            f"the framework costs x{figures['floor_to_stack_ratio']}"
        )
    if accepted != args.declarations:
        raise SystemExit(f"not every lodgement was accepted: {statuses}")


if __name__ == "__main__":
    main()
