"""Assessment cost per declaration, over the real import samples, on PostgreSQL.

Creates a fresh PostgreSQL database of its own, migrates it, seeds the demo (which loads the demo
tariff), lodges and routes every real import sample of ../shared/data once (the HMRC samples and
the accepted TT1 import), then times, in this process:

- ``compute``: the engine alone (reads the tariff, rates and fees; writes nothing), every sample
  ``--rounds`` times;
- ``assess``: the engine and the storage of a new current assessment (the declaration's version is
  moved on first, as an amendment does, so each call stores one), every sample ``--rounds`` times.

Prints milliseconds per declaration (p50/p95/p99) with the machine, and compares with the previous
run (bench/results/assessment.json).

    .venv/bin/python bench/assessment.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime

from common import ROOT, django_in_process, fresh_database, machine, percentiles, record

SAMPLES = ROOT.parent / "shared" / "data" / "wco-dms"
TT1_PLACEHOLDER = b"INSERTEORI"
TESTER_EORI = b"GB553202734852"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()

    django_in_process(fresh_database(args.pg, "singlewindow_bench_assessment"))

    from accounts.models import User
    from clearance.demo import seed_demo
    from clearance.services import declaration_route
    from declarations.models import Channel, Declaration
    from declarations.services import declaration_lodge_xml
    from payments.assessment import _items_for_assessment as items_for
    from payments.assessment import acceptance_day, assess, compute, reviewing_agencies

    seed_demo(outside_embedded=True)
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
    agencies = {d.pk: reviewing_agencies(d) for d in declarations}
    items = sum(d.items.count() for d in declarations)

    for d in declarations:  # warm up: code paths, the connection, the database's caches
        compute(d, items=items_for(d), agencies=agencies[d.pk], on=acceptance_day(d))

    engine: list[float] = []
    for _ in range(args.rounds):
        for d in declarations:
            started = time.perf_counter()
            compute(d, items=items_for(d), agencies=agencies[d.pk], on=acceptance_day(d))
            engine.append(time.perf_counter() - started)

    stored: list[float] = []
    for _ in range(args.rounds):
        for d in declarations:
            Declaration.objects.filter(pk=d.pk).update(version=d.version + 1)
            d.version += 1
            started = time.perf_counter()
            assess(d, agencies=agencies[d.pk])
            stored.append(time.perf_counter() - started)

    compute_figures = percentiles(engine)
    assess_figures = percentiles(stored)
    record(
        "assessment",
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "settings": {
                "rounds": args.rounds,
                "declarations": len(declarations),
                "goods_items": items,
                "database": "PostgreSQL (native)",
                "debug": False,
            },
            "figures": {
                "compute_p50_ms": compute_figures["p50_ms"],
                "compute_p95_ms": compute_figures["p95_ms"],
                "compute_p99_ms": compute_figures["p99_ms"],
                "assess_p50_ms": assess_figures["p50_ms"],
                "assess_p95_ms": assess_figures["p95_ms"],
                "assess_p99_ms": assess_figures["p99_ms"],
                "assessments_stored": len(stored),
            },
        },
        ["compute_p50_ms", "compute_p95_ms", "assess_p50_ms", "assess_p95_ms"],
    )


if __name__ == "__main__":
    main()
