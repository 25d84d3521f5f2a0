"""The clearance pipeline end to end on the full stack, and the officer queue at 100,000 declarations.

Starts a private redis-server, gunicorn and a real Celery worker natively on a fresh PostgreSQL
database (``singlewindow_bench_pipeline``), seeds the demo with every agency deciding
automatically, and lodges N declarations (the real accepted samples of ../shared/data, each with a
fresh LRN) through ``POST /api/v1/declarations`` as the demo broker from concurrent clients. The
worker routes each to its agencies, the reviews are approved by the system, and consolidation
records the release decision. Read from the database afterwards:

- throughput: declarations per second from the first lodgement (``accepted_at``) to the last
  release decision (``decided_at``);
- p50/p95/p99 from lodgement to release decision, and from lodgement to routing (queue wait).

With ``--decisions api`` the agencies do not decide automatically: one client per agency stands in
for its back-office system, polls ``GET /api/v1/reviews?view=pending`` with its officer's token and
approves each review with ``POST /api/v1/reviews/{id}/decision``, so every release goes through the
decision API, the outbox and the consolidation task (results in bench/results/pipeline-api.json;
the queue at 100,000 declarations is measured in the default mode only).

Then the database is filled to 100,000 declarations with their goods items and agency reviews
(SQL ``INSERT … SELECT`` copies of the lodged ones; a fifth of them still waiting for their
agencies), and the officer's queue is timed over HTTP: the queue page (``/agencies/queue/``, signed
in) and ``GET /api/v1/reviews``, each requested repeatedly by the officer of the busiest agency.
Prints everything with the machine and settings and compares with bench/results/pipeline.json.

    .venv/bin/python bench/pipeline.py [--declarations 500] [--concurrency 8] [--workers 2]
                                       [--celery-concurrency 4] [--queue-declarations 100000]
                                       [--decisions auto|api]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from common import (
    celery_worker,
    demo_otp,
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
from lodge import LRN, post, sample_bodies

RELEASE_TIMEOUT = 600.0


def with_lrn(body: bytes, lrn: str) -> bytes:
    return LRN.sub(f"<FunctionalReferenceID>{lrn}</FunctionalReferenceID>".encode(), body)


def api_token(base: str, user: dict[str, str]) -> str:
    credentials = {"username": user["username"], "password": user["password"]}
    code = demo_otp(user)  # officers sign in with a code as well
    if code:
        credentials["otp"] = code
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token",
        method="POST",
        data=json.dumps(credentials).encode(),
        headers={"Content-Type": "application/json"},
    )
    return json.loads(urllib.request.urlopen(request).read())["token"]


class AgencySystem(threading.Thread):
    """An agency's back-office system: polls its queue through the API and approves what it finds."""

    def __init__(self, base: str, token: str, stop: threading.Event, poll_seconds: float) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.stop, self.poll_seconds = base, token, stop, poll_seconds
        self.decided = 0
        self.decision_s: list[float] = []
        self.errors: dict[str, int] = {}

    def call(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, object]:
        request = urllib.request.Request(
            f"{self.base}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, None

    def run(self) -> None:
        while not self.stop.is_set():
            status, page = self.call("GET", "/api/v1/reviews?view=pending")
            reviews = page.get("results", []) if isinstance(page, dict) else []
            if not reviews:
                self.stop.wait(self.poll_seconds)  # an empty queue: look again a little later
                continue
            for review in reviews:
                started = time.perf_counter()
                code, _ = self.call(
                    "POST", f"/api/v1/reviews/{review['id']}/decision", {"outcome": "approved", "reason": ""}
                )
                self.decision_s.append(time.perf_counter() - started)
                if code == 200:
                    self.decided += 1
                else:
                    self.errors[str(code)] = self.errors.get(str(code), 0) + 1


def released_count(db: str, lrn_prefix: str) -> int:
    return sql(
        db,
        "SELECT count(*) FROM clearance_releasedecision r JOIN declarations_declaration d "
        "ON d.id = r.declaration_id WHERE d.lrn LIKE %s",
        (lrn_prefix + "%",),
    )[0][0]


def wait_released(db: str, lrn_prefix: str, expected: int) -> float:
    """Poll the database until every declaration of the run has its release decision."""
    started = time.monotonic()
    while (done := released_count(db, lrn_prefix)) < expected:
        if time.monotonic() - started > RELEASE_TIMEOUT:
            raise SystemExit(f"only {done} of {expected} declarations released after {RELEASE_TIMEOUT:.0f}s")
        time.sleep(0.2)
    return time.monotonic() - started


def pipeline_figures(db: str, lrn_prefix: str) -> dict[str, float]:
    rows = sql(
        db,
        """
        SELECT extract(epoch FROM d.accepted_at), extract(epoch FROM r.decided_at),
               extract(epoch FROM (SELECT min(v.created_at) FROM agencies_agencyreview v
                                   WHERE v.declaration_id = d.id))
        FROM declarations_declaration d JOIN clearance_releasedecision r ON r.declaration_id = d.id
        WHERE d.lrn LIKE %s
        """,
        (lrn_prefix + "%",),
    )
    accepted = [float(a) for a, _, _ in rows]
    decided = [float(b) for _, b, _ in rows]
    routed = [float(c) for _, _, c in rows]
    span = max(decided) - min(accepted)
    release = percentiles([b - a for a, b in zip(accepted, decided, strict=True)])
    queue_wait = percentiles([c - a for a, c in zip(accepted, routed, strict=True)])
    return {
        "end_to_end_declarations_per_second": round(len(rows) / span, 1),
        "first_lodgement_to_last_release_s": round(span, 2),
        **{f"release_{k}": v for k, v in release.items()},
        **{f"routed_{k}": v for k, v in queue_wait.items()},
    }


def column_copy(db: str, table: str, overrides: dict[str, str], alias: str) -> tuple[str, str]:
    """Column list and select list that copy a row of ``table`` (as ``alias``) except ``overrides``."""
    columns = [
        name
        for (name,) in sql(
            db,
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "ORDER BY ordinal_position",
            (table,),
        )
    ]
    select = [overrides.get(c, f'{alias}."{c}"') for c in columns]
    return ", ".join(f'"{c}"' for c in columns), ", ".join(select)


def fill_to(db: str, total: int) -> dict[str, int]:
    """Copy the lodged declarations (items, reviews, routed items) until there are ``total``.

    Copies are spread over the last 30 days; one in five still waits for its agencies (its reviews
    pending, not yet decided), the others are released. Parties, documents and audit events are
    not copied: the queue does not read them.
    """
    have = sql(db, "SELECT count(*) FROM declarations_declaration")[0][0]
    missing = max(0, total - have)
    if not missing:
        return {"declarations": have}
    templates = sql(db, "SELECT count(*) FROM declarations_declaration WHERE mrn IS NOT NULL")[0][0]
    copies = -(-missing // templates)
    sql(db, "DROP TABLE IF EXISTS bulk_decl, bulk_item, bulk_review")
    sql(
        db,
        """
        CREATE UNLOGGED TABLE bulk_decl AS
        SELECT nextval(pg_get_serial_sequence('declarations_declaration', 'id')) AS new_id,
               t.id AS old_id, (random() < 0.2) AS waiting,
               now() - random() * interval '30 days' AS at
        FROM (SELECT id FROM declarations_declaration WHERE mrn IS NOT NULL) t
        CROSS JOIN generate_series(1, %s) g
        ORDER BY g, t.id LIMIT %s
        """,
        (copies, missing),
    )
    sql(db, "CREATE INDEX ON bulk_decl (old_id)")
    cols, select = column_copy(
        db,
        "declarations_declaration",
        {
            "id": "b.new_id",
            "mrn": "'BK' || lpad(b.new_id::text, 16, '0')",
            "lrn": "'BULK' || b.new_id",
            "status": "CASE WHEN b.waiting THEN 'in_review' ELSE 'released' END",
            "created_at": "b.at",
            "updated_at": "b.at",
            "accepted_at": "b.at",
        },
        "d",
    )
    sql(
        db,
        f"INSERT INTO declarations_declaration ({cols}) SELECT {select} "  # noqa: S608 - catalogue names
        "FROM bulk_decl b JOIN declarations_declaration d ON d.id = b.old_id",
    )
    sql(
        db,
        """
        CREATE UNLOGGED TABLE bulk_item AS
        SELECT nextval(pg_get_serial_sequence('declarations_goodsitem', 'id')) AS new_id,
               i.id AS old_id, b.new_id AS decl_id
        FROM bulk_decl b JOIN declarations_goodsitem i ON i.declaration_id = b.old_id
        """,
    )
    cols, select = column_copy(
        db, "declarations_goodsitem", {"id": "m.new_id", "declaration_id": "m.decl_id"}, "i"
    )
    sql(
        db,
        f"INSERT INTO declarations_goodsitem ({cols}) SELECT {select} "  # noqa: S608 - catalogue names
        "FROM bulk_item m JOIN declarations_goodsitem i ON i.id = m.old_id",
    )
    sql(
        db,
        """
        CREATE UNLOGGED TABLE bulk_review AS
        SELECT nextval(pg_get_serial_sequence('agencies_agencyreview', 'id')) AS new_id,
               r.id AS old_id, b.new_id AS decl_id, b.old_id AS old_decl_id, b.waiting, b.at
        FROM bulk_decl b JOIN agencies_agencyreview r ON r.declaration_id = b.old_id
        """,
    )
    cols, select = column_copy(
        db,
        "agencies_agencyreview",
        {
            "id": "m.new_id",
            "declaration_id": "m.decl_id",
            "status": "CASE WHEN m.waiting THEN 'pending' ELSE r.status END",
            "decided_at": "CASE WHEN m.waiting THEN NULL ELSE m.at END",
            "decision_reason": "CASE WHEN m.waiting THEN '' ELSE r.decision_reason END",
            "created_at": "m.at",
            "updated_at": "m.at",
            "due_at": "m.at + (r.due_at - r.created_at)",
        },
        "r",
    )
    sql(
        db,
        f"INSERT INTO agencies_agencyreview ({cols}) SELECT {select} "  # noqa: S608 - catalogue names
        "FROM bulk_review m JOIN agencies_agencyreview r ON r.id = m.old_id",
    )
    sql(
        db,
        """
        INSERT INTO agencies_agencyreview_items (agencyreview_id, goodsitem_id)
        SELECT m.new_id, bi.new_id
        FROM bulk_review m
        JOIN agencies_agencyreview_items ri ON ri.agencyreview_id = m.old_id
        JOIN bulk_item bi ON bi.old_id = ri.goodsitem_id AND bi.decl_id = m.decl_id
        """,
    )
    sql(db, "DROP TABLE bulk_decl, bulk_item, bulk_review")
    sql(db, "VACUUM ANALYZE")
    counts = sql(
        db,
        "SELECT (SELECT count(*) FROM declarations_declaration), "
        "(SELECT count(*) FROM declarations_goodsitem), "
        "(SELECT count(*) FROM agencies_agencyreview), "
        "(SELECT count(*) FROM agencies_agencyreview WHERE status = 'pending')",
    )[0]
    return dict(zip(["declarations", "goods_items", "reviews", "reviews_pending"], counts, strict=True))


def signed_in(base: str, user: dict[str, str]) -> urllib.request.OpenerDirector:
    """A browser-like session: the login form with its CSRF token, then the session cookie (and the
    code on the two-step verification page, for an officer)."""
    username, password = user["username"], user["password"]
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    response = opener.open(urllib.request.Request(f"{base}/login/", data=form, headers={"Referer": base}))
    assert "/login/" not in response.url, "signing in failed"
    code = demo_otp(user)
    if code:
        verify = response.url
        assert "/two-factor/verify/" in verify, f"no code asked for: {verify}"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode())
        assert token, "no CSRF token on the verify page"
        form = urllib.parse.urlencode({"code": code, "csrfmiddlewaretoken": token.group(1)}).encode()
        response = opener.open(urllib.request.Request(verify, data=form, headers={"Referer": base}))
        assert "/two-factor/" not in response.url, "the code was refused"
    return opener


def timed_gets(fetch: object, url: str, n: int) -> dict[str, float]:
    samples = []
    for _ in range(3):  # warm up the workers' caches
        fetch(url)  # type: ignore[operator]
    for _ in range(n):
        started = time.perf_counter()
        fetch(url)  # type: ignore[operator]
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--declarations", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    # Two gunicorn workers on the 2-core bench machine: the web workers and the Celery pool share
    # the CPUs, and with 4 the throughput was the same (27.8/s vs 27.2/s, lodgement-bound) while
    # release p95 doubled (129 ms vs 66 ms): the extra workers only queue work behind the worker.
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--celery-concurrency", type=int, default=4)
    parser.add_argument("--queue-declarations", type=int, default=100_000)
    parser.add_argument("--queue-requests", type=int, default=60)
    parser.add_argument("--deciders-per-agency", type=int, default=2, help="with --decisions api")
    parser.add_argument(
        "--poll-seconds", type=float, default=0.5, help="with --decisions api: wait on an empty queue"
    )
    parser.add_argument(
        "--decisions",
        choices=["auto", "api"],
        default="auto",
        help="auto: every agency decides by itself; api: agency systems approve through the API",
    )
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()

    db = fresh_database(args.pg, "singlewindow_bench_pipeline")
    with redis_server(port=free_port()) as broker:
        env = {
            **os.environ,
            "DATABASE_URL": db,
            "DEBUG": "false",
            "SW_AUTO_DECIDE_ALLOWED": "true",  # every agency decides automatically (throwaway database)
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",  # plain HTTP on the loopback
            "CSRF_COOKIE_SECURE": "false",
            "CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": broker,
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "ERROR",
            # One demo broker lodges everything: the per-user lodgement throttle would cap the figure.
            "SW_LODGE_THROTTLE": "1000000/minute",
        }
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        through_api = args.decisions == "api"
        # A throwaway database of its own, on the production settings: the demo users are wanted here.
        seed = [
            "seed_demo",
            "--json",
            "--force-outside-embedded",
            *([] if through_api else ["--auto-decide"]),
        ]
        users = json.loads(manage(env, *seed))
        queues = "celery," + manage(env, "agency_queues").strip()
        broker_user = next(u for u in users if u["username"] == "broker")
        samples = sample_bodies()
        bodies = [with_lrn(samples[n % len(samples)], f"PIPE{n:08d}") for n in range(args.declarations)]

        port = free_port()
        with (
            gunicorn(env, workers=args.workers, port=port) as base,
            celery_worker(env, concurrency=args.celery_concurrency, queues=queues),
        ):
            token = api_token(base, broker_user)
            stop = threading.Event()
            # Each agency's system decides from several clients at once, as a back office would;
            # they take pending reviews from the same queue, so some decisions meet a review another
            # client just decided (409), which they skip.
            systems = [
                AgencySystem(base, api_token(base, u), stop, args.poll_seconds)
                for u in users
                if through_api and u["role"] == "officer"
                for _ in range(args.deciders_per_agency)
            ]
            for system in systems:
                system.start()
            for n, body in enumerate(samples[:8]):  # warm up the web and pool processes
                post(base, token, with_lrn(body, f"WARMUP{n}"))
            wait_released(db, "WARMUP", 8)
            warmup_decisions = sum(system.decided for system in systems)

            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(lambda b: post(base, token, b), bodies))
            lodging = time.perf_counter() - started
            statuses: dict[str, int] = {}
            for _, code in results:
                statuses[str(code)] = statuses.get(str(code), 0) + 1
            accepted = statuses.get("201", 0)
            drain = wait_released(db, "PIPE", accepted)
            stop.set()
            for system in systems:
                system.join()
            figures = {
                **pipeline_figures(db, "PIPE"),
                "lodged_per_second": round(accepted / lodging, 1),
                "lodge_p95_ms": percentiles([latency for latency, _ in results])["p95_ms"],
                "drain_after_last_lodgement_s": round(drain, 2),
                "accepted": accepted,
                "statuses": statuses,
            }
            if through_api:
                decision_s = [seconds for system in systems for seconds in system.decision_s]
                figures.update(
                    {
                        "api_decisions": sum(system.decided for system in systems) - warmup_decisions,
                        "api_decision_errors": {
                            code: n for system in systems for code, n in system.errors.items()
                        },
                        **{f"api_decision_{k}": v for k, v in percentiles(decision_s).items()},
                    }
                )
                record_api(args, figures, len(samples), len(systems))
                return

            filled = fill_to(db, args.queue_declarations)
            busiest = sql(
                db,
                "SELECT a.code FROM agencies_agencyreview r JOIN agencies_agency a ON a.id = r.agency_id "
                "WHERE r.status = 'pending' GROUP BY a.code ORDER BY count(*) DESC LIMIT 1",
            )[0][0]
            officer = next(u for u in users if u.get("agency") == busiest and u["role"] == "officer")
            session = signed_in(base, officer)
            officer_token = api_token(base, officer)

            def page(url: str) -> None:
                with session.open(url) as response:
                    response.read()

            def api(url: str) -> None:
                request = urllib.request.Request(url, headers={"Authorization": f"Token {officer_token}"})
                with urllib.request.urlopen(request) as response:
                    response.read()

            pending_reviews = sql(
                db,
                "SELECT count(*) FROM agencies_agencyreview r JOIN agencies_agency a ON a.id = r.agency_id "
                "WHERE a.code = %s AND r.status = 'pending'",
                (busiest,),
            )[0][0]
            queue = {
                "queue_page": timed_gets(page, f"{base}/agencies/queue/", args.queue_requests),
                "queue_page_filtered_hs": timed_gets(
                    page, f"{base}/agencies/queue/?hs_prefix=85", args.queue_requests
                ),
                "api_reviews_pending": timed_gets(
                    api, f"{base}/api/v1/reviews?view=pending", args.queue_requests
                ),
                "api_reviews_all": timed_gets(api, f"{base}/api/v1/reviews", args.queue_requests),
            }
            for name, timing in queue.items():
                figures[f"{name}_p50_ms"] = timing["p50_ms"]
                figures[f"{name}_p95_ms"] = timing["p95_ms"]

    record(
        "pipeline",
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "settings": {
                **stack_settings(args, len(samples), "all decide automatically (seed_demo --auto-decide)"),
                "queue_officer": f"{officer['username']} ({busiest}, {pending_reviews} pending reviews)",
                "queue_requests": args.queue_requests,
                "queue_database": filled,
            },
            "figures": figures,
        },
        [
            "end_to_end_declarations_per_second",
            "release_p50_ms",
            "release_p95_ms",
            "release_p99_ms",
            "queue_page_p95_ms",
            "api_reviews_pending_p95_ms",
        ],
    )
    if accepted != args.declarations:
        raise SystemExit(f"not every lodgement was accepted: {statuses}")


def stack_settings(args: argparse.Namespace, samples: int, agencies: str) -> dict[str, object]:
    """The settings every pipeline result is printed with."""
    return {
        "declarations": args.declarations,
        "client_concurrency": args.concurrency,
        "gunicorn_workers": args.workers,
        "celery_worker_concurrency": args.celery_concurrency,
        "celery_pool": "prefork",
        "agencies": agencies,
        "database": "PostgreSQL (native)",
        "broker": "Redis (private redis-server, no persistence)",
        "email_backend": "locmem",
        "debug": False,
        "samples": samples,
    }


def record_api(args: argparse.Namespace, figures: dict[str, object], samples: int, systems: int) -> None:
    record(
        "pipeline-api",
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "settings": stack_settings(
                args,
                samples,
                f"agency systems approving through the API, {systems} clients in all "
                f"({args.deciders_per_agency} per agency, polling every {args.poll_seconds} s when idle)",
            ),
            "figures": figures,
        },
        [
            "end_to_end_declarations_per_second",
            "release_p50_ms",
            "release_p95_ms",
            "release_p99_ms",
            "api_decision_p95_ms",
        ],
    )


if __name__ == "__main__":
    main()
