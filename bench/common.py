"""Shared set-up for the benches: Django on its own PostgreSQL database, freshly migrated."""

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/partnerhub_bench"
)


def setup_django() -> None:
    os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "b" * 50)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerhub.settings")
    _create_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_database() -> None:
    """A new, empty bench database each run: every run measures from the same state."""
    import psycopg

    name = BENCH_DATABASE_URL.rsplit("/", 1)[1]
    server = BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def timed(label: str, results: dict):
    started = time.perf_counter()
    yield
    results[label] = time.perf_counter() - started


def machine() -> str:
    import platform

    cpus = os.cpu_count()
    return f"{platform.node()} · {cpus} cores · {platform.python_version()}"


def partners_in_program(cursor, tenant_id: int, program_id: int, count: int) -> None:
    """`count` partners BP-000001… of the tenant, each in the program (a placement not
    evaluated yet), written in SQL."""
    cursor.execute(
        "INSERT INTO partners_partner (tenant_id, ref, name, type, region, status, joined_on, "
        "created_at, updated_at) SELECT %s, 'BP-' || lpad(g::text, 6, '0'), "
        "'Partner ' || g, 'reseller', '', 'active', '2020-01-01', now(), now() "
        "FROM generate_series(1, %s) g",
        [tenant_id, count],
    )
    cursor.execute(
        "INSERT INTO tiers_placement (tenant_id, partner_id, program_id, joined_on, "
        "explanation, before_evaluation, before_override, override_reason) "
        "SELECT %s, p.id, %s, p.joined_on, '{}', '{}', '{}', '' FROM partners_partner p "
        "WHERE p.tenant_id = %s",
        [tenant_id, program_id, tenant_id],
    )
