"""Ledger entries are never updated or deleted: PostgreSQL refuses it, whoever asks."""

from django.db import migrations

APPEND_ONLY = """
CREATE FUNCTION incentives_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are never changed or deleted: append an adjustment';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER rebate_entry_append_only BEFORE UPDATE OR DELETE ON incentives_rebateentry
    FOR EACH ROW EXECUTE FUNCTION incentives_ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS rebate_entry_append_only ON incentives_rebateentry;
DROP FUNCTION IF EXISTS incentives_ledger_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("incentives", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
