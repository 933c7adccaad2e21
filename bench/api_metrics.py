"""Time a 50,000-value POST /api/v1/metric-values/ against the file import of the same rows
and a bare COPY of them (the floor), in one run.

    python bench/api_metrics.py [--partners 5000] [--months 10]

The API call goes through the whole Django stack in-process (middleware, key, JSON parsing
into Decimal, shape checks, the import's own staging, checks and upsert); the file import is
`import_metrics` on the same rows as CSV. Each writes into an empty table.
"""

import argparse
import json
import random
import tempfile
from pathlib import Path

from common import machine, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=5_000)
    parser.add_argument("--months", type=int, default=10)
    args = parser.parse_args()
    setup_django()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django_scopes import scope, scopes_disabled

    from metrics.models import Metric, MetricValue
    from partnerhub.api.keys import api_key_create
    from partnerhub.tenancy.models import Tenant
    from partners.models import Partner

    settings.ALLOWED_HOSTS = ["*"]
    with scopes_disabled():
        Tenant.objects.filter(slug="bench").delete()
    tenant = Tenant.objects.create(slug="bench", name="Bench")
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
        Metric.objects.create(tenant=tenant, key="revenue", name="Revenue")
        key = api_key_create(tenant=tenant, name="bench", scope="write").secret
    rng = random.Random(7)
    months = [f"2025-{m + 1:02d}" for m in range(args.months)]
    values = [
        {
            "partner_ref": f"BP-{n:06d}",
            "metric": "revenue",
            "period": month,
            "value": f"{rng.randrange(0, 10_000_000) / 100:.2f}",
        }
        for n in range(args.partners)
        for month in months
    ]
    body = json.dumps({"values": values})
    path = Path(tempfile.mkdtemp()) / "values.csv"
    with path.open("w") as out:
        out.write("partner_ref,metric,period,value\n")
        out.writelines(f"{v['partner_ref']},revenue,{v['period']},{v['value']}\n" for v in values)
    print(f"{len(values):,} values, {len(body) / 1e6:.1f} MB of JSON · {machine()}")

    results: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_copy_floor "
            "(partner_ref text, metric text, period text, value numeric)"
        )
    with (
        timed("floor: bare COPY of the rows", results),
        connection.cursor() as cursor,
        path.open("rb") as data,
        cursor.copy("COPY bench_copy_floor FROM STDIN (FORMAT csv, HEADER true)") as copy,
    ):
        copy.write(data.read())

    with timed("file import (import_metrics)", results):
        call_command("import_metrics", "--tenant", "bench", str(path), verbosity=0)
    with scope(tenant=tenant):
        assert MetricValue.objects.count() == len(values)
        MetricValue.objects.all().delete()

    client = Client()
    with timed("POST /api/v1/metric-values/", results):
        response = client.post(
            "/api/v1/metric-values/", body, content_type="application/json", secure=True,
            headers={"Authorization": f"Bearer {key}"},
        )  # fmt: skip
    assert response.status_code == 200, response.content[:500]
    assert response.json()["inserted"] == len(values)

    floor = results["floor: bare COPY of the rows"]
    file_import = results["file import (import_metrics)"]
    for label, seconds in results.items():
        print(
            f"{label:<32} {seconds:7.2f} s   ratio to floor {seconds / floor:6.2f}"
            f"   to file import {seconds / file_import:5.2f}"
        )
    with scopes_disabled():
        tenant.delete()
    path.unlink()


if __name__ == "__main__":
    main()
