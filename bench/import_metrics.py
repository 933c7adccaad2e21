"""Time `import_metrics` against floors measured in the same run:

- a bare COPY of the same file into an unindexed table;
- the hand-written SQL for the same job: COPY into a staging table, one join of refs and keys,
  one upsert into a table with metric values' own indexes (run with fresh statistics).

Two cases: the big one (default 20,000 partners × 5 metrics × 10 months: 1,000,000 rows), and
the first-load trap: a new tenant of 2,000 partners in a database no ANALYZE has seen yet
(autovacuum is off on these machines), importing 2,000 × 4 metrics × 13 months = 104,000 rows;
it runs first, on the bench's freshly created database.

    python bench/import_metrics.py [--partners 20000] [--metrics 5] [--months 10]
"""

import argparse
import random
import tempfile
from pathlib import Path

from common import machine, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=20_000)
    parser.add_argument("--metrics", type=int, default=5)
    parser.add_argument("--months", type=int, default=10)
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
    print(f"{machine()} · autovacuum {autovacuum}")
    # First, on the fresh database no ANALYZE has ever seen: the first-load trap at its worst.
    cold = bench_case("bench-cold", 2_000, 4, 13, analyze=False)
    big = bench_case("bench", args.partners, args.metrics, args.months, analyze=True)
    for title, results in (("big tenant", big), ("new tenant, stale statistics", cold)):
        print(title)
        sql_floor = results["floor: hand-written SQL (staging, join, upsert)"]
        for label, seconds in results.items():
            print(f"  {label:<50} {seconds:8.2f} s   × SQL floor {seconds / sql_floor:6.2f}")


def bench_case(slug: str, partners: int, metrics: int, months: int, *, analyze: bool) -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django_scopes import scope, scopes_disabled

    from metrics.models import Metric, MetricValue
    from partnerhub.tenancy.models import Tenant
    from partners.models import Partner

    with scopes_disabled():
        Tenant.objects.filter(slug=slug).delete()
    tenant = Tenant.objects.create(slug=slug, name=slug.title())
    metric_keys = [f"metric-{n}" for n in range(metrics)]
    with scope(tenant=tenant):
        Partner.objects.bulk_create(
            Partner(
                tenant=tenant,
                ref=f"BP-{n:06d}",
                name=f"Partner {n}",
                type="reseller",
                joined_on="2020-01-01",
            )
            for n in range(partners)
        )
        for key in metric_keys:
            Metric.objects.create(tenant=tenant, key=key, name=key)
    if analyze:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE partners_partner, metrics_metric, metrics_metricvalue")
    periods = [f"{2025 + (m // 12)}-{m % 12 + 1:02d}" for m in range(months)]
    rng = random.Random(7)

    path = Path(tempfile.mkdtemp()) / "metrics.csv"
    with path.open("w") as out:
        out.write("partner_ref,metric,period,value\n")
        for n in range(partners):
            ref = f"BP-{n:06d}"
            for key in metric_keys:
                for month in periods:
                    out.write(f"{ref},{key},{month},{rng.randrange(0, 10_000_000) / 100}\n")
    rows = partners * metrics * months
    print(f"{slug}: {partners:,} partners, {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB")

    results: dict[str, float] = {}
    with timed("import_metrics, new values", results):
        call_command("import_metrics", "--tenant", slug, str(path), verbosity=0)
    with timed("import_metrics, same file again", results):
        call_command("import_metrics", "--tenant", slug, str(path), verbosity=0)
    with scope(tenant=tenant):
        assert MetricValue.objects.count() == rows

    with connection.cursor() as cursor:  # the floors read fresh statistics: a perfect plan
        cursor.execute("ANALYZE partners_partner, metrics_metric")
    with timed("floor: bare COPY into an unindexed table", results):
        _copy_floor(path)
    with timed("floor: hand-written SQL (staging, join, upsert)", results):
        _sql_floor(path, tenant.pk)
    with scopes_disabled():
        tenant.delete()
    path.unlink()
    return results


def _copy_file(cursor, path: Path, table: str) -> None:
    with (
        path.open("rb") as data,
        cursor.copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER true)") as copy,
    ):
        while chunk := data.read(1 << 20):
            copy.write(chunk)


def _copy_floor(path: Path) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_floor")
        cursor.execute(
            "CREATE TABLE bench_copy_floor "
            "(partner_ref text, metric text, period text, value numeric)"
        )
        _copy_file(cursor, path, "bench_copy_floor")
        cursor.execute("DROP TABLE bench_copy_floor")


def _sql_floor(path: Path, tenant_id: int) -> None:
    """What a perfect import could not beat: the file COPYed into a staging table, its refs and
    keys joined once, the values upserted into an empty table with metric values' indexes."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor_values")
        cursor.execute(
            "CREATE TABLE bench_floor_values "
            "(LIKE metrics_metricvalue INCLUDING DEFAULTS INCLUDING IDENTITY "
            "INCLUDING CONSTRAINTS INCLUDING INDEXES)"
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE staging (partner_ref text, metric text, period text, "
            "value numeric) ON COMMIT DROP"
        )
        _copy_file(cursor, path, "staging")
        cursor.execute(
            "INSERT INTO bench_floor_values (tenant_id, partner_id, metric_id, period, value) "
            "SELECT %s, p.id, m.id, (s.period || '-01')::date, s.value FROM staging s "
            "JOIN partners_partner p ON p.tenant_id = %s AND p.ref = s.partner_ref "
            "JOIN metrics_metric m ON m.tenant_id = %s AND m.key = s.metric "
            "ON CONFLICT (partner_id, metric_id, period) DO UPDATE SET value = excluded.value",
            [tenant_id, tenant_id, tenant_id],
        )
        cursor.execute("DROP TABLE bench_floor_values")


if __name__ == "__main__":
    main()
