"""Card payments on the full stack: payments started and settled per second.

Starts a private redis-server, gunicorn and a real Celery worker natively on a fresh PostgreSQL
database (``singlewindow_bench_payments``) with the production settings and the test provider
switched on explicitly (``SW_PAYMENT_TEST_PROVIDER``), seeds the demo (agencies deciding by
themselves), lodges N real import samples through the API as the demo broker, and charges each
its duties (27.00 + 205.40 GBP) unless the pipeline assessed it already. Then, from concurrent
clients:

1. **start**: ``POST /api/v1/declarations/{mrn}/payments`` (card, with an ``Idempotency-Key``) for
   every declaration: payments started per second, latency percentiles;
2. **settle**: TestPay's signed callback (HMAC-SHA256, ``payments.providers.testpay``) posted to
   ``/payments/providers/testpay/callback`` once per payment: payments settled per second (each
   one ledger transaction, its audit events and an outbox row), latency percentiles; then the time
   until the worker has published every ``payments.payment.settled`` row;
3. a replay of the first 50 callbacks, checked to settle nothing twice (not timed).

Reads the database afterwards to check that every payment is settled exactly once. Prints the
figures with the machine and settings, and compares with bench/results/payments.json.

    .venv/bin/python bench/payments.py [--payments 300] [--concurrency 8] [--workers 2]
                                       [--celery-concurrency 2]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from common import (
    ROOT,
    celery_worker,
    free_port,
    fresh_database,
    gunicorn,
    machine,
    manage,
    percentiles,
    record,
    redis_server,
    sql,
)
from lodge import LRN, sample_bodies

sys.path.insert(0, str(ROOT))
from singlewindow.signing import signature_for  # noqa: E402 (the portal's own signing helper)

TESTPAY_SECRET = "bench-testpay-secret-0123456789"  # noqa: S105 - a throwaway database's

CHARGE = """
from decimal import Decimal
from declarations.models import Declaration
from payments.charges import declaration_charge
from payments.ledger import declaration_totals
for declaration in Declaration.objects.filter(lrn__startswith="PAYB").exclude(mrn=None):
    if declaration_totals(declaration.pk)[0] == 0:
        amounts = {"A00": Decimal("27.00"), "B00": Decimal("205.40")}
        declaration_charge(declaration=declaration, amounts=amounts)
"""


def request(
    base: str, path: str, *, body: bytes, headers: dict[str, str]
) -> tuple[float, int, dict[str, Any] | None]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(
            urllib.request.Request(f"{base}{path}", data=body, method="POST", headers=headers), timeout=60
        ) as response:
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        status = exc.code
    elapsed = time.perf_counter() - started
    try:
        return elapsed, status, json.loads(payload)
    except ValueError:
        return elapsed, status, None


def api_token(base: str, user: dict[str, str]) -> str:
    body = json.dumps({"username": user["username"], "password": user["password"]}).encode()
    _, status, answer = request(
        base, "/api/v1/auth/token", body=body, headers={"Content-Type": "application/json"}
    )
    assert status == 200 and answer is not None, status
    return str(answer["token"])


def lodge(base: str, token: str, body: bytes) -> str | None:
    _, status, answer = request(
        base,
        "/api/v1/declarations",
        body=body,
        headers={"Content-Type": "application/xml", "Authorization": f"Token {token}"},
    )
    return str(answer["mrn"]) if status == 201 and answer else None


def start_payment(base: str, token: str, mrn: str) -> tuple[float, int, dict[str, Any] | None]:
    return request(
        base,
        f"/api/v1/declarations/{mrn}/payments",
        body=json.dumps({"method": "card"}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Token {token}",
            "Idempotency-Key": f"bench-{mrn}",
        },
    )


def callback_body(payment: dict[str, Any]) -> bytes:
    """TestPay's approval of one checkout (the token is the last part of its redirect URL)."""
    return json.dumps(
        {
            "event_id": f"evt_{secrets.token_hex(12)}",
            "checkout_id": payment["redirect_url"].rstrip("/").rsplit("/", 1)[1],
            "outcome": "approved",
            "charge_id": f"ch_{secrets.token_hex(12)}",
            "amount": payment["amount"],
            "currency": payment["currency"],
            "reason": "",
        },
        sort_keys=True,
    ).encode()


def deliver(base: str, body: bytes) -> tuple[float, int, dict[str, Any] | None]:
    timestamp = str(int(time.time()))
    return request(
        base,
        "/payments/providers/testpay/callback",
        body=body,
        headers={
            "Content-Type": "application/json",
            "X-TestPay-Timestamp": timestamp,
            "X-TestPay-Signature": signature_for(TESTPAY_SECRET, timestamp, body),
        },
    )


def timed(concurrency: int, calls: list[Callable[[], Any]]) -> tuple[list[Any], float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda call: call(), calls))
    return results, time.perf_counter() - started


def statuses_of(results: list[tuple[float, int, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, status, _ in results:
        counts[str(status)] = counts.get(str(status), 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()

    db = fresh_database(args.pg, "singlewindow_bench_payments")
    with redis_server(port=free_port()) as broker:
        env = {
            **os.environ,
            "DATABASE_URL": db,
            "DEBUG": "false",
            "SW_AUTO_DECIDE_ALLOWED": "true",  # every agency decides automatically (throwaway database)
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            "SECURE_SSL_REDIRECT": "false",
            "CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": broker,
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "ERROR",
            "SW_LODGE_THROTTLE": "1000000/minute",
            # TestPay on the production settings: switched on explicitly, with a secret of its own.
            "SW_PAYMENT_TEST_PROVIDER": "true",
            "SW_TESTPAY_SECRET": TESTPAY_SECRET,
        }
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        users = json.loads(manage(env, "seed_demo", "--json", "--auto-decide", "--force-outside-embedded"))
        queues = "celery," + manage(env, "agency_queues").strip()
        broker_user = next(u for u in users if u["username"] == "broker")
        samples = sample_bodies()
        bodies = [
            LRN.sub(
                f"<FunctionalReferenceID>PAYB{n:08d}</FunctionalReferenceID>".encode(),
                samples[n % len(samples)],
            )
            for n in range(args.payments)
        ]

        port = free_port()
        with (
            gunicorn(env, workers=args.workers, port=port) as base,
            celery_worker(env, concurrency=args.celery_concurrency, queues=queues),
        ):
            token = api_token(base, broker_user)
            lodged, lodging = timed(args.concurrency, [lambda b=b: lodge(base, token, b) for b in bodies])
            mrns = [mrn for mrn in lodged if mrn]
            if len(mrns) != args.payments:
                raise SystemExit(f"only {len(mrns)} of {args.payments} lodgements were accepted")
            manage({k: v for k, v in env.items() if k != "CELERY_BROKER_URL"}, "shell", "-c", CHARGE)

            started, starting = timed(
                args.concurrency, [lambda m=m: start_payment(base, token, m) for m in mrns]
            )
            payments = [answer for _, status, answer in started if status == 201 and answer]
            callbacks = [callback_body(payment) for payment in payments]
            settled, settling = timed(args.concurrency, [lambda c=c: deliver(base, c) for c in callbacks])
            drain_started = time.perf_counter()
            while sql(
                db,
                "SELECT count(*) FROM singlewindow_outboxmessage "
                "WHERE topic = 'payments.payment.settled' AND published_at IS NULL",
            )[0][0]:
                if time.perf_counter() - drain_started > 120:
                    break
                time.sleep(0.1)
            drained = time.perf_counter() - drain_started
            replayed, _ = timed(args.concurrency, [lambda c=c: deliver(base, c) for c in callbacks[:50]])

    outcomes: dict[str, int] = {}
    for _, _, answer in settled:
        outcome = str((answer or {}).get("outcome", "error"))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    replay_outcomes = sorted({str((answer or {}).get("outcome")) for _, _, answer in replayed})
    booked = sql(db, "SELECT count(*) FROM payments_ledgertransaction WHERE kind = 'payment'")[0][0]
    settled_rows = sql(db, "SELECT count(*) FROM payments_payment WHERE status = 'settled'")[0][0]
    figures = {
        "payments_settled_per_second": round(outcomes.get("settled", 0) / settling, 1),
        "settle": percentiles([latency for latency, _, _ in settled]),
        "payments_started_per_second": round(len(payments) / starting, 1),
        "start": percentiles([latency for latency, _, _ in started]),
        "outbox_published_after_last_settle_s": round(drained, 2),
        "lodged_per_second": round(len(mrns) / lodging, 1),
        "start_statuses": statuses_of(started),
        "settle_statuses": statuses_of(settled),
        "settle_outcomes": outcomes,
        "replay_outcomes": replay_outcomes,
        "payments_settled": settled_rows,
        "payment_ledger_transactions": booked,
    }
    record(
        "payments",
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "settings": {
                "payments": args.payments,
                "concurrency": args.concurrency,
                "gunicorn_workers": args.workers,
                "celery_worker_concurrency": args.celery_concurrency,
                "database": "PostgreSQL (native)",
                "broker": "Redis (native, private)",
                "provider": "testpay (signed callbacks posted by the benchmark)",
                "debug": False,
            },
            "figures": figures,
        },
        ["payments_settled_per_second", "payments_started_per_second"],
    )
    problems = []
    if outcomes.get("settled", 0) != args.payments:
        problems.append(f"not every callback settled its payment: {outcomes}")
    if booked != args.payments or settled_rows != args.payments:
        problems.append(f"{settled_rows} payments settled, {booked} ledger transactions for {args.payments}")
    if replay_outcomes != ["replayed"]:
        problems.append(f"a replayed callback did something: {replay_outcomes}")
    if problems:
        raise SystemExit("; ".join(problems))


if __name__ == "__main__":
    main()
