"""The audit log is a hash chain: verified end to end, tampering named, appends never fork it."""

from __future__ import annotations

import functools

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from singlewindow.audit import AuditEntry, audit_log, audit_log_many
from singlewindow.auditchain import GENESIS, canonical_json, chain_verify
from singlewindow.models import AuditEvent
from tests.concurrency import run_together
from tests.factories import TraderAccountFactory

ON_POSTGRES = connection.vendor == "postgresql"


def write_events(account, n: int = 3) -> list[AuditEvent]:
    first = audit_log(action="accounts.trader_account.changed", obj=account, data={"n": 0, "f": 1e20})
    rest = audit_log_many(
        AuditEntry(action="accounts.trader_account.changed", obj=account, data={"n": i, "g": 0.1})
        for i in range(1, n)
    )
    return [first, *rest]


def tamper(sql: str, params: list) -> None:
    """Change the table behind the application's back, as someone with database access could."""
    with connection.cursor() as cursor:
        if ON_POSTGRES:
            # Deferred foreign-key checks of the inserts are pending triggers: run them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE singlewindow_auditevent DISABLE TRIGGER singlewindow_auditevent_append_only"
            )
        cursor.execute(sql, params)
        if ON_POSTGRES:
            cursor.execute(
                "ALTER TABLE singlewindow_auditevent ENABLE TRIGGER singlewindow_auditevent_append_only"
            )


@pytest.mark.django_db
def test_events_link_from_genesis_and_audit_verify_reports_ok_with_the_count(capsys):
    account = TraderAccountFactory()
    events = write_events(account, n=4)
    stored = list(AuditEvent.objects.order_by("seq"))

    assert [e.seq for e in stored] == [1, 2, 3, 4]
    assert stored[0].prev_hash == GENESIS
    assert [e.prev_hash for e in stored[1:]] == [e.hash for e in stored[:-1]]
    assert [e.hash for e in stored] == [e.hash for e in events]
    call_command("audit_verify")
    assert f"OK: 4 audit events, chain head seq 4 hash {stored[-1].hash}" in capsys.readouterr().out


@pytest.mark.django_db
def test_an_edited_event_is_named_by_audit_verify():
    events = write_events(TraderAccountFactory())
    tamper("UPDATE singlewindow_auditevent SET data = %s WHERE id = %s", ['{"n": 7}', events[1].pk])

    with pytest.raises(CommandError) as error:
        call_command("audit_verify")

    message = str(error.value)
    assert f"broken at event {events[1].pk}:" in message
    assert "no longer matches its hash" in message
    assert "(the 1 events before it verify)" in message


@pytest.mark.django_db
def test_an_actor_rewritten_to_someone_else_is_detected():
    events = write_events(TraderAccountFactory())
    tamper("UPDATE singlewindow_auditevent SET object_id = object_id + 1 WHERE id = %s", [events[0].pk])

    report = chain_verify()

    assert (report.ok, report.broken_event, report.count) == (False, events[0].pk, 0)


@pytest.mark.django_db
def test_a_removed_event_is_named_by_the_event_after_the_gap():
    events = write_events(TraderAccountFactory())
    tamper("DELETE FROM singlewindow_auditevent WHERE id = %s", [events[1].pk])

    report = chain_verify()

    assert report.broken_event == events[2].pk
    assert "has seq 3 where 2 was expected: an event is missing before it" in report.problem


@pytest.mark.django_db
def test_a_rechained_forgery_still_breaks_at_the_first_changed_link():
    """Whoever edits an event and recomputes its hash must recompute every later one too."""
    events = write_events(TraderAccountFactory())
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.data = {"n": 99}
    from singlewindow.auditchain import digest_of

    tamper(
        "UPDATE singlewindow_auditevent SET data = %s, hash = %s WHERE id = %s",
        ['{"n": 99}', digest_of(forged), forged.pk],
    )

    report = chain_verify()

    assert report.broken_event == events[2].pk
    assert "is not the previous event's hash" in report.problem


@pytest.mark.fullstack
@pytest.mark.django_db
def test_postgresql_refuses_to_update_or_delete_an_audit_event():
    (event, *_rest) = write_events(TraderAccountFactory())

    with pytest.raises(IntegrityError, match="append-only: UPDATE"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="declarations.declaration.released")
    with pytest.raises(IntegrityError, match="append-only: DELETE"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "accounts.trader_account.changed"


@pytest.mark.django_db
def test_a_transaction_reads_the_chain_head_once_however_many_events_it_writes():
    account = TraderAccountFactory()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        audit_log(action="accounts.trader_account.changed", obj=account)
        audit_log_many([AuditEntry(action="accounts.trader_account.changed", obj=account)] * 3)
        audit_log(action="accounts.trader_account.changed", obj=account)
    sql = [q["sql"] for q in queries.captured_queries]
    heads = [s for s in sql if "singlewindow_audit_chain_head" in s]  # PostgreSQL: lock and read
    reads = [s for s in sql if s.startswith('SELECT "singlewindow_auditevent"."seq"')]  # elsewhere
    assert len(heads) + len(reads) == 1
    assert chain_verify().count == 5


@pytest.mark.django_db
def test_an_event_rolled_back_with_its_savepoint_leaves_no_hole_in_the_chain():
    account = TraderAccountFactory()
    with transaction.atomic():
        audit_log(action="accounts.trader_account.changed", obj=account, data={"kept": 1})
        with pytest.raises(RuntimeError), transaction.atomic():
            audit_log(action="accounts.trader_account.changed", obj=account, data={"lost": 2})
            raise RuntimeError("the change fails")
        audit_log(action="accounts.trader_account.changed", obj=account, data={"kept": 3})

    report = chain_verify()
    assert report.ok, report.problem
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "data")) == [
        (1, {"kept": 1}),
        (2, {"kept": 3}),
    ]


def test_numbers_have_one_spelling_whatever_json_storage_makes_of_them():
    # jsonb gives 1e20 back as digits (an int in Python) and keeps 1.0 as 1.0
    assert canonical_json({"b": 1e20, "a": 1.0}) == canonical_json({"a": 1, "b": 100000000000000000000})
    assert canonical_json([0.1, -0.0, "é"]) == '[0.1,0,"é"]'
    assert canonical_json({"n": 1}) != canonical_json({"n": "1"})
    with pytest.raises(ValueError):
        canonical_json(float("nan"))


@pytest.mark.fullstack
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_their_own_connections_extend_one_chain():
    account = TraderAccountFactory()
    writers, rounds = 4, 5

    def write(n: int) -> None:
        for i in range(rounds):
            with transaction.atomic():
                audit_log(action="accounts.trader_account.changed", obj=account, data={"w": n, "i": i})
                audit_log_many(
                    [AuditEntry(action="accounts.trader_account.changed", obj=account, data={"w": n})] * 2
                )

    _, failures = run_together([functools.partial(write, n) for n in range(writers)])

    assert failures == []
    report = chain_verify()
    assert report.ok, report.problem
    assert report.count == writers * rounds * 3
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, writers * rounds * 3 + 1)
    )
