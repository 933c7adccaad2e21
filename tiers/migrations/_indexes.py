"""Dropping an index Django made for a foreign key, by what it covers rather than by name, and
not by AlterField: on SQLite (the demo) AlterField rebuilds the table, which the tier order
triggers on it do not survive. A module whose name starts with "_" is no migration."""


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


def indexes_dropped(*columns: tuple[str, str]):
    """RunPython's pair of functions: drop each (table, column)'s plain single-column index,
    and, backwards, create one again."""

    def drop(apps, schema_editor):
        for table, column in columns:
            for name in _single_column_indexes(schema_editor, table, column):
                schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")

    def create_again(apps, schema_editor):
        for table, column in columns:
            schema_editor.execute(
                f"CREATE INDEX {schema_editor.quote_name(f'{table}_{column}_again')} "
                f"ON {schema_editor.quote_name(table)} ({schema_editor.quote_name(column)})"
            )

    return drop, create_again
