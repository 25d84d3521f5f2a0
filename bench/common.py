"""Shared pieces of the benchmarks: the full stack started natively, machine facts, result files."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results"


_USED_STEPS: dict[str, int] = {}


def demo_otp(user: dict[str, str]) -> str | None:
    """The next unused sign-in code of a demo user with two-step verification (``otp_secret`` in
    ``seed_demo --json``), as an authenticator app computes it (RFC 6238: SHA-1, 30 s, 6 digits).

    Each code is accepted once, so a second sign-in within the same 30 s takes the next step's code
    (the portal accepts one step ahead).
    """
    secret = user.get("otp_secret")
    if not secret:
        return None
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    step = max(int(time.time()) // 30, _USED_STEPS.get(user["username"], -1) + 1)
    _USED_STEPS[user["username"]] = step
    digest = hmac.new(key, step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(int.from_bytes(digest[offset : offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "postgres_client": pg,
    }


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database(url_base: str, name: str) -> str:
    """Drop and create a benchmark database of our own (never touch others')."""
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", f"{url_base}/postgres", "-q", "-c", sql], check=True)
    return f"{url_base}/{name}"


def manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int, port: int, threads: int = 1) -> Iterator[str]:
    proc = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "singlewindow.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("gunicorn did not come up") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def record(name: str, result: dict[str, Any], compare_keys: list[str]) -> None:
    """Print the result beside the previous one and keep it as the new reference."""
    path = RESULTS / f"{name}.json"
    previous = json.loads(path.read_text()) if path.exists() else None
    print(json.dumps(result, indent=2))
    if previous:
        print("\nCompared with the previous run (" + previous.get("when", "?") + "):")
        for key in compare_keys:
            before, now = previous["figures"].get(key), result["figures"].get(key)
            print(f"  {key:<24} {before!s:>10} -> {now!s:>10}")
    else:
        print("\nNo previous figure to compare with.")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")


# Added for bench/pipeline.py: the broker and a worker, started natively like gunicorn above.


@contextmanager
def redis_server(*, port: int) -> Iterator[str]:
    """A private redis-server without persistence (nobody else's Redis is touched or purged)."""
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("redis-server did not come up")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def celery_worker(env: dict[str, str], *, concurrency: int, queues: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker (prefork) on the given queues; readiness is the caller's to observe."""
    proc = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "singlewindow",
            "worker",
            "-Q",
            queues,
            "--concurrency",
            str(concurrency),
            "--pool",
            "prefork",
            "-l",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def sql(url: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on the benchmark database (autocommit); rows if it returns any."""
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def django_in_process(database_url: str, *, migrate: bool = True, static: bool = False) -> None:
    """Set this process up as the portal on ``database_url`` (production settings, no debug, tasks
    in-process, the local-memory cache), migrated (and its static files collected, for benches
    that render pages), then ``django.setup()``: the benches that time code and pages in-process."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "ERROR",
        "ALLOWED_HOSTS": "testserver,localhost",
        "SW_LODGE_THROTTLE": "1000000/minute",
    }
    env.pop("CELERY_BROKER_URL", None)  # tasks in-process: routing runs as the lodgement commits
    env.pop("CACHE_URL", None)
    if migrate:
        manage(env, "migrate", "--noinput")
    if static:
        manage(env, "collectstatic", "--noinput")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "singlewindow.settings")
    import django

    django.setup()
