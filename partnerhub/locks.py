"""PostgreSQL advisory locks held until the transaction ends, and their namespaces in one place:
two apps that picked the same number would wait on each other's unrelated work. The embedded
database (SQLite) serialises writers itself, so there they are no-ops."""

from enum import IntEnum

from django.db import connection


class LockFor(IntEnum):
    """A lock's namespace; its key is the id of what it guards."""

    IMPORT = 4_201  # tenant id: one metric import a tenant; a run holds it shared
    RUN = 4_202  # program id: one recalculation a program
    LEDGER = 4_203  # tenant id: one writer of a tenant's incentive ledger
    APPLY = 4_204  # run id: one apply of a split run


def lock_until_commit(namespace: LockFor, key: int, *, shared: bool = False) -> None:
    """Wait for the lock (shared: beside other shared holders), and hold it to the transaction's
    end."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [int(namespace), key])


def try_lock_until_commit(namespace: LockFor, key: int) -> bool:
    """Take the lock if nobody holds it, to the transaction's end; whether it was taken."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [int(namespace), key])
        return cursor.fetchone()[0]
