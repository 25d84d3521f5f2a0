"""Every event has its place in the chain; on PostgreSQL the table refuses UPDATE and DELETE and
``singlewindow_audit_chain_head(key)`` serialises appends (see ``singlewindow.auditchain``).

TRUNCATE is not a row operation and stays possible (the test suite flushes tables with it): the
production database role should not hold TRUNCATE on the table (docs/operations.md).
"""

from typing import Any

from django.db import migrations, models

FORWARD = """
CREATE FUNCTION singlewindow_auditevent_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER singlewindow_auditevent_append_only
    BEFORE UPDATE OR DELETE ON singlewindow_auditevent
    FOR EACH ROW EXECUTE FUNCTION singlewindow_auditevent_refuse_change();

-- Lock the chain (until the transaction ends), then read its head with a fresh snapshot: a
-- VOLATILE function's statements each see what committed before them, so a writer that waited
-- for the lock sees the events of the writer it waited for.
CREATE FUNCTION singlewindow_audit_chain_head(lock_key bigint)
RETURNS TABLE (head_seq bigint, head_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY
        SELECT e.seq, e.hash::varchar FROM singlewindow_auditevent AS e ORDER BY e.seq DESC LIMIT 1;
END
$$;
"""

BACKWARD = """
DROP FUNCTION IF EXISTS singlewindow_audit_chain_head(bigint);
DROP TRIGGER IF EXISTS singlewindow_auditevent_append_only ON singlewindow_auditevent;
DROP FUNCTION IF EXISTS singlewindow_auditevent_refuse_change();
"""


def _on_postgresql(sql: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("singlewindow", "0004_auditevent_chain_existing"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(unique=True),
        ),
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
