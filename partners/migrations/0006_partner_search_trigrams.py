"""Trigram indexes for the partner list's search (ref or name contains, any case): Django's
`icontains` is `UPPER(column) LIKE UPPER(%…%)`, which a GIN index of the same expression with
`gin_trgm_ops` answers without reading every partner. PostgreSQL only; the embedded SQLite
database searches by scanning, which its demo size allows."""

from django.db import migrations

INDEXES = {
    "partner_search_ref": "ref",
    "partner_search_name": "name",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON partners_partner "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("partners", "0005_partner_programs")]

    operations = [migrations.RunPython(create, drop)]
