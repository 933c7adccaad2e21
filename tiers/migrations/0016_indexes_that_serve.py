"""Two foreign keys lose an index another index already leads with: a placement's partner
(placement_once_per_program) and a history entry's program (placement_change_by_day). A first
placement writes every placement and a history entry for each partner; one index fewer on each.

The indexes are dropped by name, not by AlterField: on SQLite (the demo) AlterField rebuilds
the table, which the tier order triggers on it do not survive.
"""

import django.db.models.deletion
from django.db import migrations, models

REDUNDANT = [("tiers_placement", "partner_id"), ("tiers_placementchange", "program_id")]


def _single_column_indexes(schema_editor, table: str, column: str) -> list[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, details in constraints.items()
        if details["index"]
        and details["columns"] == [column]
        and not details["unique"]
        and not details["primary_key"]
    ]


def drop_redundant_indexes(apps, schema_editor):
    for table, column in REDUNDANT:
        for name in _single_column_indexes(schema_editor, table, column):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_them_again(apps, schema_editor):
    for table, column in REDUNDANT:
        schema_editor.execute(
            f"CREATE INDEX {schema_editor.quote_name(f'{table}_{column}_again')} "
            f"ON {schema_editor.quote_name(table)} ({schema_editor.quote_name(column)})"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0006_partner_search_trigrams"),
        ("tiers", "0015_placement_nightly_rewrite"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="placement",
                    name="partner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="placements",
                        to="partners.partner",
                    ),
                ),
                migrations.AlterField(
                    model_name="placementchange",
                    name="program",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tiers.program",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_redundant_indexes, create_them_again),
            ],
        )
    ]
