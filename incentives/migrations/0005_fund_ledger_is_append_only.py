"""Fund entries, like rebate entries, are never updated or deleted."""

from django.db import migrations

APPEND_ONLY = """
CREATE TRIGGER fund_entry_append_only BEFORE UPDATE OR DELETE ON incentives_fundentry
    FOR EACH ROW EXECUTE FUNCTION incentives_ledger_append_only();
"""
DROP = "DROP TRIGGER IF EXISTS fund_entry_append_only ON incentives_fundentry;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("incentives", "0004_fund_ledger")]
    operations = [migrations.RunPython(create, drop)]
