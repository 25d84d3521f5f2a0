"""Risk scoring cost per declaration, over the real import samples, on PostgreSQL.

Creates a fresh PostgreSQL database of its own, migrates it, seeds the demo (its risk profile among
it), adds rules up to ``--rules`` (mixed kinds: goods on HS prefixes and origins, undervaluation,
history, watchlist, AEO), some compliance history, watchlist entries and medians, lodges and routes
every real import sample of ../shared/data once (the HMRC samples and the accepted TT1 import), then
times, in this process:

- ``pure``: the engine alone on facts already read (``engine.assess``), every sample ``--rounds``
  times;
- ``engine``: the facts read and the engine's answer (``risk_score``: the rules' freshness check,
  the facts the rules need, the engine; writes nothing), every sample ``--rounds`` times;
- ``assess``: the same and the storage (``risk_assess``: the assessment's upsert, its rule hits,
  the audit event), every sample ``--rounds`` times, each in its own transaction.

Prints milliseconds per declaration (p50/p95/p99) with the machine and its load average (the
machine is shared: the database's round trips dominate, and slow down with the load), and
compares with the previous run (bench/results/risk.json).

    .venv/bin/python bench/risk.py [--rounds 20] [--rules 50]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from common import ROOT, django_in_process, fresh_database, machine, percentiles, record

SAMPLES = ROOT.parent / "shared" / "data" / "wco-dms"
TT1_PLACEHOLDER = b"INSERTEORI"
TESTER_EORI = b"GB553202734852"
ORIGINS = ["CN", "US", "CO", "IN", "TR", "VN", "BR", "DE"]
CHAPTERS = ["06", "08", "22", "39", "61", "62", "64", "84", "85", "87", "90", "94", "95"]


def _rules(count: int) -> list[dict[str, object]]:
    """``count`` rules of mixed kinds, deterministic."""
    rules: list[dict[str, object]] = []
    n = 0
    while len(rules) < count:
        slot = n % 10
        if slot < 5:
            rules.append(
                {"kind": "goods", "hs_prefix": CHAPTERS[n % len(CHAPTERS)], "origin_country": ORIGINS[n % 8]}
            )
        elif slot < 7:
            rules.append({"kind": "undervaluation", "undervaluation_ratio": Decimal("0.30")})
        elif slot == 7:
            rules.append({"kind": "history", "history_event": "seizure", "history_months": 12 + n % 12})
        elif slot == 8:
            rules.append({"kind": "watchlist"})
        else:
            rules.append({"kind": "aeo", "aeo_tiers": ["AEOF"] if n % 2 else []})
        n += 1
    return rules


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()

    django_in_process(fresh_database(args.pg, "singlewindow_bench_risk"))

    from django.db import transaction
    from django.utils import timezone

    from accounts.models import TraderAccount, User
    from agencies.models import Agency
    from clearance.demo import seed_demo
    from clearance.models import ComplianceEvent, RiskRule, ValueMedian, WatchlistEntry
    from clearance.risk.engine import assess
    from clearance.risk.services import risk_assess, risk_context, risk_score
    from clearance.services import declaration_route
    from declarations.models import Channel, Declaration
    from declarations.services import declaration_lodge_xml

    seed_demo(outside_embedded=True)
    existing = RiskRule.objects.count()
    for n, fields in enumerate(_rules(max(0, args.rules - existing))):
        RiskRule.objects.create(
            name=f"bench rule {n}",
            reason=f"bench reason {n}",
            weight=5 + n % 20,
            valid_from=date(2020, 1, 1),
            **fields,
        )
    supervisor = User.objects.get(username="supervisor")
    customs = Agency.objects.get(code="customs")
    importer = TraderAccount.objects.get(eori="GB553202734852")
    now = timezone.now()
    for n in range(20):  # some history to count
        ComplianceEvent.objects.create(
            trader_account=importer,
            kind="seizure",
            occurred_at=now - timedelta(days=30 * n),
            source=f"bench:{n}",
        )
    for n in range(200):  # a watchlist of realistic size, one entry on a sample's party
        WatchlistEntry.objects.create(
            eori=f"GB{100000000000 + n}", agency=customs, reason="bench", added_by=supervisor
        )
    WatchlistEntry.objects.create(eori="GB427168118378", agency=customs, reason="bench", added_by=supervisor)
    TraderAccount.objects.filter(pk=importer.pk).update(aeo_tier="AEOF", aeo_valid_from=date(2020, 1, 1))

    broker = User.objects.get(username="broker")
    paths = sorted((SAMPLES / "samples" / "imports").glob("*.xml")) + sorted(
        (SAMPLES / "hmrc-tt1" / "Imports" / "Accepted" / "Declaration").glob("*.xml")
    )
    declarations = []
    for path in paths:
        body = path.read_bytes().replace(TT1_PLACEHOLDER, TESTER_EORI)
        declaration = declaration_lodge_xml(user=broker, body=body, channel=Channel.API_XML).declaration
        declaration_route(declaration_id=declaration.pk)
        declarations.append(Declaration.objects.get(pk=declaration.pk))
    # Medians for every subheading the samples declare (as the nightly refresh would keep them).
    subheadings = {i.hs_subheading for d in declarations for i in d.items.all()}
    ValueMedian.objects.bulk_create(
        ValueMedian(
            hs_subheading=s, unit="kg", median=Decimal("40"), currency="GBP", sample_size=50, refreshed_at=now
        )
        for s in sorted(subheadings)
    )
    items = {d.pk: list(d.items.all()) for d in declarations}
    item_count = sum(len(v) for v in items.values())

    for d in declarations:  # warm up: code paths, the connection, the database's caches, the rule cache
        risk_score(d, items[d.pk])

    contexts = {d.pk: risk_context(d, items[d.pk]) for d in declarations}
    pure: list[float] = []
    for _ in range(args.rounds):
        for d in declarations:
            started = time.perf_counter()
            assess(d, items[d.pk], contexts[d.pk])
            pure.append(time.perf_counter() - started)

    engine: list[float] = []
    for _ in range(args.rounds):
        for d in declarations:
            started = time.perf_counter()
            risk_score(d, items[d.pk])
            engine.append(time.perf_counter() - started)

    stored: list[float] = []
    hits = 0
    for _ in range(args.rounds):
        for d in declarations:
            started = time.perf_counter()
            with transaction.atomic():
                assessment = risk_assess(declaration=d, items=items[d.pk], amended=True)
            stored.append(time.perf_counter() - started)
            hits += len([r for r in assessment.reasons if r.get("rule")])

    pure_figures = percentiles(pure)
    engine_figures = percentiles(engine)
    assess_figures = percentiles(stored)
    record(
        "risk",
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "settings": {
                "rounds": args.rounds,
                "rules": RiskRule.objects.filter(is_active=True).count(),
                "declarations": len(declarations),
                "goods_items": item_count,
                "watchlist_entries": WatchlistEntry.objects.count(),
                "database": "PostgreSQL (native)",
                "debug": False,
                "load_average_1m": round(os.getloadavg()[0], 1),
            },
            "figures": {
                "pure_p50_ms": pure_figures["p50_ms"],
                "pure_p95_ms": pure_figures["p95_ms"],
                "engine_p50_ms": engine_figures["p50_ms"],
                "engine_p95_ms": engine_figures["p95_ms"],
                "engine_p99_ms": engine_figures["p99_ms"],
                "assess_p50_ms": assess_figures["p50_ms"],
                "assess_p95_ms": assess_figures["p95_ms"],
                "assess_p99_ms": assess_figures["p99_ms"],
                "rule_hits_per_declaration": round(hits / max(1, len(stored)), 2),
            },
        },
        ["pure_p50_ms", "engine_p50_ms", "engine_p95_ms", "assess_p50_ms", "assess_p95_ms"],
    )


if __name__ == "__main__":
    main()
