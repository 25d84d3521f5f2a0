"""Lodgement throughput and latency through the API on the full stack.

Starts gunicorn natively on a fresh PostgreSQL database (CELERY_BROKER_URL pointing at Redis, as
in production), seeds the demo, and lodges the real accepted XML samples of ../shared/data through
``POST /api/v1/declarations`` as the demo broker, each with a fresh LRN, from concurrent clients.
Prints declarations per second and p50/p95/p99 latency with the machine and the settings, and
compares with the previous run (bench/results/lodge.json).

    .venv/bin/python bench/lodge.py [--requests 600] [--concurrency 8] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from common import ROOT, free_port, fresh_database, gunicorn, machine, manage, percentiles, record

SAMPLES = ROOT.parent / "shared" / "data" / "wco-dms" / "samples"
LRN = re.compile(rb"<FunctionalReferenceID>[^<]*</FunctionalReferenceID>")


def sample_bodies() -> list[bytes]:
    return [p.read_bytes() for d in ("imports", "exports") for p in sorted((SAMPLES / d).glob("*.xml"))]


def post(base: str, token: str, body: bytes) -> tuple[float, int]:
    request = urllib.request.Request(
        f"{base}/api/v1/declarations",
        data=body,
        method="POST",
        headers={"Content-Type": "application/xml", "Authorization": f"Token {token}"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.read()
    return time.perf_counter() - started, status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": fresh_database(args.pg, "singlewindow_bench"),
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "SECURE_SSL_REDIRECT": "false",
        "CONN_MAX_AGE": "60",
        "CELERY_BROKER_URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14"),
        "LOG_LEVEL": "ERROR",
        # One demo broker lodges everything: the per-user lodgement throttle would cap the figure.
        "SW_LODGE_THROTTLE": "1000000/minute",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    # A throwaway database of its own, on the production settings: the demo users are wanted here.
    users = json.loads(manage(env, "seed_demo", "--json", "--force-outside-embedded"))
    broker = next(u for u in users if u["username"] == "broker")

    samples = sample_bodies()
    bodies = [
        LRN.sub(
            f"<FunctionalReferenceID>BENCH{n:08d}</FunctionalReferenceID>".encode(), samples[n % len(samples)]
        )
        for n in range(args.requests)
    ]
    port = free_port()
    with gunicorn(env, workers=args.workers, port=port) as base:
        token_request = urllib.request.Request(
            f"{base}/api/v1/auth/token",
            method="POST",
            data=json.dumps({"username": broker["username"], "password": broker["password"]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        token = json.loads(urllib.request.urlopen(token_request).read())["token"]
        for n, body in enumerate(samples[:8]):  # warm up every worker's caches (schemas, code lists)
            post(
                base,
                token,
                LRN.sub(f"<FunctionalReferenceID>WARMUP{n}</FunctionalReferenceID>".encode(), body),
            )
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(lambda b: post(base, token, b), bodies))
        elapsed = time.perf_counter() - started

    statuses: dict[str, int] = {}
    for _, code in results:
        statuses[str(code)] = statuses.get(str(code), 0) + 1
    figures = {
        "declarations_per_second": round(statuses.get("201", 0) / elapsed, 1),
        **percentiles([latency for latency, _ in results]),
        "accepted": statuses.get("201", 0),
        "statuses": statuses,
    }
    record(
        "lodge",
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "settings": {
                "requests": args.requests,
                "concurrency": args.concurrency,
                "gunicorn_workers": args.workers,
                "database": "PostgreSQL (native)",
                "debug": False,
                "samples": len(samples),
            },
            "figures": figures,
        },
        ["declarations_per_second", "p50_ms", "p95_ms", "p99_ms"],
    )
    if statuses.get("201", 0) != args.requests:
        raise SystemExit(f"not every lodgement was accepted: {statuses}")


if __name__ == "__main__":
    main()
