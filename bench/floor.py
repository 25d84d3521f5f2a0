"""The bare floor of the pipeline's work: lxml, psycopg2 and Redis, nothing else.

The same work as the portal's pipeline, without the framework: each lodger process parses a
message (lxml, hardened parser), validates it against the same WCO DMS schemas, stores its header
(with the message as received) and its goods items in scratch tables (``floor_*``), commits and
publishes the id on a Redis list; each consumer process takes an id, locks the declaration, reads
its items, routes them to agencies by HS prefix with plain SQL, writes one approved review per
agency and the release decision, marks the declaration released and commits.

Measured like the portal: declarations per second from the first acceptance to the last release
(database clocks), and p50/p95 from acceptance to release and of the lodgement call itself.
Used by bench/throughput.py in the same run as the full stack; runs alone as

    .venv/bin/python bench/floor.py --db postgres://…/singlewindow_bench_floor --redis redis://…
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from typing import Any

from common import ROOT, percentiles, sql

SCHEMAS = ROOT.parent / "shared" / "data" / "wco-dms" / "schemas" / "declaration"
DEC = "urn:wco:datamodel:WCO:DEC-DMS:2"
MD = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
QUEUE = "floor:accepted"
DONE = "floor:done"

TABLES = """
DROP TABLE IF EXISTS floor_release, floor_review, floor_item, floor_declaration, floor_rule;
CREATE TABLE floor_declaration (
    id bigserial PRIMARY KEY, lrn text NOT NULL UNIQUE, type_code text, declarant text,
    status text NOT NULL, body text NOT NULL, accepted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    released_at timestamptz);
CREATE TABLE floor_item (
    id bigserial PRIMARY KEY, declaration_id bigint NOT NULL REFERENCES floor_declaration,
    sequence int NOT NULL, commodity text NOT NULL, description text, origin text, procedure text);
CREATE INDEX ON floor_item (declaration_id);
CREATE TABLE floor_rule (hs_prefix text NOT NULL, agency text NOT NULL);
CREATE TABLE floor_review (
    id bigserial PRIMARY KEY, declaration_id bigint NOT NULL REFERENCES floor_declaration,
    agency text NOT NULL, status text NOT NULL, decided_at timestamptz NOT NULL);
CREATE TABLE floor_release (
    declaration_id bigint PRIMARY KEY REFERENCES floor_declaration, outcome text NOT NULL,
    decided_at timestamptz NOT NULL);
INSERT INTO floor_rule VALUES ('', 'customs'), ('01', 'agri'), ('06', 'agri'), ('07', 'agri'),
    ('08', 'agri'), ('30', 'health'), ('84', 'standards'), ('85', 'standards');
"""


def schema() -> Any:
    from lxml import etree

    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:floor" '
        'elementFormDefault="qualified">'
        f'<xs:import namespace="{DEC}" schemaLocation="{(SCHEMAS / "WCO_DEC_2_DMS.xsd").as_uri()}"/>'
        f'<xs:import namespace="{MD}" schemaLocation="{(SCHEMAS / "DocumentMetaData_2_DMS.xsd").as_uri()}"/>'
        "</xs:schema>"
    )
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser, base_url=SCHEMAS.as_uri() + "/"))


def lodger(db: str, redis_url: str, bodies: list[bytes], latencies: Any) -> None:
    import psycopg2
    import redis
    from lxml import etree
    from psycopg2.extras import execute_values

    xsd = schema()
    conn = psycopg2.connect(db)
    broker = redis.Redis.from_url(redis_url)
    ns = {"d": DEC}
    out = []
    for body in bodies:
        started = time.perf_counter()
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
        )
        root = etree.fromstring(body, parser)
        # The envelope may sit inside a carrier's request (the portal reads it there too).
        if root.tag != f"{{{MD}}}MetaData":
            root = next(root.iter(f"{{{MD}}}MetaData"))
        if not xsd.validate(root):
            raise SystemExit(f"schema: {xsd.error_log}")
        declaration = root.find("d:Declaration", ns)
        items = []
        for n, item in enumerate(declaration.iterfind(".//d:GovernmentAgencyGoodsItem", ns), start=1):
            items.append(
                (
                    n,
                    item.findtext("d:Commodity/d:Classification/d:ID", "", ns),
                    item.findtext("d:Commodity/d:Description", "", ns),
                    item.findtext("d:Origin/d:CountryCode", "", ns),
                    item.findtext("d:GovernmentProcedure/d:CurrentCode", "", ns),
                )
            )
        with conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO floor_declaration (lrn, type_code, declarant, status, body) "
                "VALUES (%s, %s, %s, 'accepted', %s) RETURNING id",
                (
                    declaration.findtext("d:FunctionalReferenceID", "", ns),
                    declaration.findtext("d:TypeCode", "", ns),
                    declaration.findtext("d:Declarant/d:ID", "", ns),
                    body.decode(),
                ),
            )
            (pk,) = cur.fetchone()
            execute_values(
                cur,
                "INSERT INTO floor_item "
                "(declaration_id, sequence, commodity, description, origin, procedure) VALUES %s",
                [(pk, *row) for row in items],
            )
        broker.lpush(QUEUE, pk)
        out.append(time.perf_counter() - started)
    conn.close()
    latencies.extend(out)


ROUTE = """
SELECT DISTINCT r.agency FROM floor_item i
JOIN floor_rule r ON i.commodity LIKE r.hs_prefix || '%%'
WHERE i.declaration_id = %s
"""


def consumer(db: str, redis_url: str) -> None:
    import psycopg2
    import redis

    conn = psycopg2.connect(db)
    broker = redis.Redis.from_url(redis_url)
    while True:
        _, raw = broker.brpop([QUEUE])
        pk = int(raw)
        if pk < 0:
            break
        with conn, conn.cursor() as cur:
            cur.execute("SELECT status FROM floor_declaration WHERE id = %s FOR UPDATE", (pk,))
            (status,) = cur.fetchone()
            if status != "accepted":
                continue
            cur.execute(ROUTE, (pk,))
            agencies = [a for (a,) in cur.fetchall()]
            cur.executemany(
                "INSERT INTO floor_review (declaration_id, agency, status, decided_at) "
                "VALUES (%s, %s, 'approved', clock_timestamp())",
                [(pk, a) for a in agencies],
            )
            cur.execute(
                "INSERT INTO floor_release (declaration_id, outcome, decided_at) "
                "VALUES (%s, 'released', clock_timestamp())",
                (pk,),
            )
            cur.execute(
                "UPDATE floor_declaration SET status = 'released', released_at = clock_timestamp() "
                "WHERE id = %s AND status = 'accepted'",
                (pk,),
            )
        broker.incr(DONE)
    conn.close()


def run(
    *, db: str, redis_url: str, bodies: list[bytes], lodgers: int, consumers: int, timeout: float = 300
) -> dict[str, Any]:
    """The floor's figures for ``bodies`` (each with its own LRN), lodged by ``lodgers`` processes."""
    import redis

    for statement in TABLES.split(";"):
        if statement.strip():
            sql(db, statement)
    broker = redis.Redis.from_url(redis_url)
    broker.delete(QUEUE, DONE)
    ctx = multiprocessing.get_context("fork")
    manager = ctx.Manager()
    latencies = manager.list()
    workers = [ctx.Process(target=consumer, args=(db, redis_url)) for _ in range(consumers)]
    for worker in workers:
        worker.start()
    # Warm up (imports, the schema compiled in each lodger) on a few messages first.
    shares = [bodies[n::lodgers] for n in range(lodgers)]
    started = time.perf_counter()
    procs = [ctx.Process(target=lodger, args=(db, redis_url, share, latencies)) for share in shares]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    if any(proc.exitcode for proc in procs):
        for worker in workers:
            worker.kill()
        raise SystemExit("a lodger of the floor failed")
    lodging = time.perf_counter() - started
    deadline = time.monotonic() + timeout
    while int(broker.get(DONE) or 0) < len(bodies):
        if time.monotonic() > deadline:
            raise SystemExit("the floor's consumers did not finish")
        time.sleep(0.05)
    for _ in workers:
        broker.lpush(QUEUE, -1)
    for worker in workers:
        worker.join()
    rows = sql(
        db,
        "SELECT extract(epoch FROM accepted_at), extract(epoch FROM released_at) FROM floor_declaration",
    )
    accepted = [float(a) for a, _ in rows]
    released = [float(b) for _, b in rows]
    span = max(released) - min(accepted)
    release = percentiles([b - a for a, b in zip(accepted, released, strict=True)])
    lodge = percentiles(list(latencies))
    reviews = sql(db, "SELECT count(*) FROM floor_review")[0][0]
    return {
        "end_to_end_declarations_per_second": round(len(rows) / span, 1),
        "first_lodgement_to_last_release_s": round(span, 2),
        "lodged_per_second": round(len(bodies) / lodging, 1),
        "release_p50_ms": release["p50_ms"],
        "release_p95_ms": release["p95_ms"],
        "lodge_p50_ms": lodge["p50_ms"],
        "lodge_p95_ms": lodge["p95_ms"],
        "reviews": reviews,
        "lodger_processes": lodgers,
        "consumer_processes": consumers,
    }


def main() -> None:
    from lodge import sample_bodies
    from pipeline import with_lrn

    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--declarations", type=int, default=500)
    parser.add_argument("--lodgers", type=int, default=2)
    parser.add_argument("--consumers", type=int, default=2)
    args = parser.parse_args()
    samples = sample_bodies()
    bodies = [with_lrn(samples[n % len(samples)], f"FLOOR{n:08d}") for n in range(args.declarations)]
    figures = run(
        db=args.db, redis_url=args.redis, bodies=bodies, lodgers=args.lodgers, consumers=args.consumers
    )
    print(figures)


if __name__ == "__main__":
    main()
