"""Chain the events written before the chain existed, in the order they were written (by id)."""

from typing import Any

from django.db import migrations

BATCH = 2000


def chain_existing(apps: Any, schema_editor: Any) -> None:
    from singlewindow.auditchain import GENESIS, event_digest

    AuditEvent = apps.get_model("singlewindow", "AuditEvent")
    events = AuditEvent.objects.using(schema_editor.connection.alias).order_by("pk")
    seq, prev, batch = 0, GENESIS, []
    for event in events.iterator(chunk_size=BATCH):
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = event_digest(
            prev_hash=prev,
            seq=seq,
            at=event.at,
            actor_id=event.actor_id,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            data=event.data,
        )
        batch.append(event)
        if len(batch) == BATCH:
            AuditEvent.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
            batch = []
    if batch:
        AuditEvent.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])


def unchain(apps: Any, schema_editor: Any) -> None:
    """Nothing to undo: 0002's reverse drops the columns."""


class Migration(migrations.Migration):
    dependencies = [
        ("singlewindow", "0003_auditevent_chain_fields"),
    ]

    operations = [migrations.RunPython(chain_existing, unchain)]
