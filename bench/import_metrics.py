"""Time `import_metrics` on N rows against a bare COPY of the same file (the floor).

    python bench/import_metrics.py [--partners 20000] [--metrics 5] [--months 10]

Default: 20,000 partners, 5 metrics, 10 months: 1,000,000 rows.
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

    from django.core.management import call_command
    from django.db import connection
    from django_scopes import scope, scopes_disabled

    from metrics.models import Metric, MetricValue
    from partnerhub.tenancy.models import Tenant
    from partners.models import Partner

    with scopes_disabled():
        Tenant.objects.filter(slug="bench").delete()
    tenant = Tenant.objects.create(slug="bench", name="Bench")
    metric_keys = [f"metric-{n}" for n in range(args.metrics)]
    with scope(tenant=tenant):
        Partner.objects.bulk_create(
            Partner(
                tenant=tenant,
                ref=f"BP-{n:06d}",
                name=f"Partner {n}",
                type="reseller",
                joined_on="2020-01-01",
            )
            for n in range(args.partners)
        )
        for key in metric_keys:
            Metric.objects.create(tenant=tenant, key=key, name=key)
    months = [f"{2025 + (m // 12)}-{m % 12 + 1:02d}" for m in range(args.months)]
    rng = random.Random(7)

    path = Path(tempfile.mkdtemp()) / "metrics.csv"
    with path.open("w") as out:
        out.write("partner_ref,metric,period,value\n")
        for n in range(args.partners):
            ref = f"BP-{n:06d}"
            for key in metric_keys:
                for month in months:
                    out.write(f"{ref},{key},{month},{rng.randrange(0, 10_000_000) / 100}\n")
    rows = args.partners * args.metrics * args.months
    size_mb = path.stat().st_size / 1e6
    print(f"{rows:,} rows, {size_mb:.1f} MB · {machine()}")

    results: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_floor")
        cursor.execute(
            "CREATE TABLE bench_copy_floor "
            "(partner_ref text, metric text, period text, value numeric)"
        )
    floor_sql = "COPY bench_copy_floor FROM STDIN (FORMAT csv, HEADER true)"
    with (
        timed("floor: bare COPY into an unindexed table", results),
        connection.cursor() as cursor,
        path.open("rb") as data,
        cursor.copy(floor_sql) as copy,
    ):
        while chunk := data.read(1 << 20):
            copy.write(chunk)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy_floor")

    with timed("import_metrics, new values", results):
        call_command("import_metrics", "--tenant", "bench", str(path), verbosity=0)
    with timed("import_metrics, same file again", results):
        call_command("import_metrics", "--tenant", "bench", str(path), verbosity=0)
    with scope(tenant=tenant):
        assert MetricValue.objects.count() == rows

    floor = results["floor: bare COPY into an unindexed table"]
    for label, seconds in results.items():
        print(f"{label:<42} {seconds:8.2f} s   ratio {seconds / floor:5.2f}")
    with scopes_disabled():
        tenant.delete()
    path.unlink()


if __name__ == "__main__":
    main()
