"""The supervisors' risk dashboard over many assessments, on PostgreSQL.

Creates a fresh PostgreSQL database of its own, migrates it, seeds the demo, then generates
``--assessments`` declarations (default 20,000) with a risk assessment spread over the last 90 days
(85 % green, 2 % of those selected at random; 10 % yellow, 5 % red), rule hits from 12 rules, and
a done control for most yellow and red ones (a fifth non-compliant). Times, in this process, the
dashboard page (GET as a supervisor through Django's test client: the three GROUP BY queries, the
charts and the template) and each CSV table, ``--rounds`` times each, and prints milliseconds
(p50/p95; the page's query count is pinned in tests/clearance/oversight/test_dashboard.py);
compares with the previous run (bench/results/dashboard.json).

    .venv/bin/python bench/dashboard.py [--assessments 20000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, date, datetime, timedelta

from common import django_in_process, fresh_database, machine, percentiles, record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assessments", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()

    django_in_process(fresh_database(args.pg, "singlewindow_bench_dashboard"), static=True)

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from agencies.models import Agency
    from clearance.demo import seed_demo
    from clearance.models import ControlKind, ControlStatus, ControlTask, RiskAssessment, RiskRule, RuleHit
    from declarations.models import Channel, Declaration, Status
    from tests.two_factor import PortalClient

    seed_demo(outside_embedded=True)
    supervisor = User.objects.get(username="supervisor")
    customs = Agency.objects.get(code="customs")
    rules = [
        RiskRule.objects.create(
            name=f"Bench rule {n}", reason="bench", weight=20, valid_from=date(2020, 1, 1)
        )
        for n in range(12)
    ]
    rng = random.Random(10)
    now = timezone.now()
    started = time.perf_counter()
    batch = 2000
    for offset in range(0, args.assessments, batch):
        size = min(batch, args.assessments - offset)
        declarations = Declaration.objects.bulk_create(
            Declaration(
                mrn=f"26GBBENCH{offset + k:09d}",
                lrn=f"B-{offset + k}",
                status=Status.IN_REVIEW,
                channel=Channel.API_JSON,
                lodged_by=supervisor,
                accepted_at=now - timedelta(minutes=rng.randrange(90 * 24 * 60)),
            )
            for k in range(size)
        )
        assessments, tasks = [], []
        for d in declarations:
            roll = rng.random()
            lane = "green" if roll < 0.85 else "yellow" if roll < 0.95 else "red"
            chosen = lane == "green" and rng.random() < 0.02
            assessments.append(
                RiskAssessment(
                    declaration=d,
                    score=0,
                    lane="yellow" if chosen else lane,
                    random_selected=chosen,
                    assessed_at=d.accepted_at,
                )
            )
            if (lane != "green" or chosen) and rng.random() < 0.9:
                outcome = "non_compliant" if rng.random() < 0.2 else "compliant"
                tasks.append(
                    ControlTask(
                        declaration=d,
                        kind=ControlKind.DOCUMENTARY,
                        agency=customs,
                        status=ControlStatus.DONE,
                        outcome=outcome,
                    )
                )
        RiskAssessment.objects.bulk_create(assessments)
        ControlTask.objects.bulk_create(tasks)
        RuleHit.objects.bulk_create(
            RuleHit(
                rule=rule,
                assessment=a,
                points=20,
                outcome=rng.choice(["", "compliant", "non_compliant"]) if a.lane != "green" else "",
            )
            for a in assessments
            for rule in rng.sample(rules, rng.choice([0, 0, 1, 2]))
        )
    generated = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    client: Client = PortalClient()
    client.force_login(supervisor)
    url = "/clearance/risk/dashboard/"
    assert client.get(url).status_code == 200  # warm up
    page: list[float] = []
    for _ in range(args.rounds):
        t = time.perf_counter()
        response = client.get(url)
        page.append(time.perf_counter() - t)
        assert response.status_code == 200
    csv_times: list[float] = []
    for table in ("lanes", "rules", "controls", "sample"):
        for _ in range(max(args.rounds // 4, 1)):
            t = time.perf_counter()
            response = client.get(f"/clearance/risk/dashboard/{table}.csv")
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
            csv_times.append(time.perf_counter() - t)
    page_figures, csv_figures = percentiles(page), percentiles(csv_times)
    record(
        "dashboard",
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "settings": {
                "assessments": args.assessments,
                "rule_hits": RuleHit.objects.count(),
                "control_tasks": ControlTask.objects.count(),
                "rounds": args.rounds,
                "database": "PostgreSQL (native)",
                "debug": False,
            },
            "figures": {
                "page_p50_ms": page_figures["p50_ms"],
                "page_p95_ms": page_figures["p95_ms"],
                "csv_p50_ms": csv_figures["p50_ms"],
                "csv_p95_ms": csv_figures["p95_ms"],
                "generate_s": round(generated, 1),
            },
        },
        ["page_p50_ms", "page_p95_ms", "csv_p50_ms"],
    )


if __name__ == "__main__":
    main()
