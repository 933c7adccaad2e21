"""Time a full tier recalculation against a bare SQL GROUP BY over the same window (the floor).

    python bench/recalculate.py [--partners 50000] [--months 24]

Default: 50,000 partners × 4 metrics × 24 months = 4,800,000 metric values.
"""

import argparse
import datetime

from common import machine, partners_in_program, setup_django, timed

AS_OF = datetime.date(2026, 11, 22)
PROGRAM = {
    "key": "bench",
    "name": "Bench Program",
    "grace_days": 30,
    "metrics": [
        {"key": "revenue", "name": "Revenue", "unit": "currency"},
        {"key": "deals", "name": "Deals", "unit": "count"},
        {"key": "csat", "name": "CSAT", "unit": "score"},
        {"key": "pipeline", "name": "Pipeline", "unit": "currency"},
    ],
    "certifications": [{"key": "sales-pro", "name": "Sales Professional"}],
    "tiers": [
        {"key": "registered", "name": "Registered", "rank": 0, "rule": None},
        {
            "key": "silver",
            "name": "Silver",
            "rank": 1,
            "rule": {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 550000},
        },
        {
            "key": "gold",
            "name": "Gold",
            "rank": 2,
            "rule": {
                "all": [
                    {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 620000},
                    {"metric": "csat", "agg": "avg", "window": 6, "op": ">=", "value": "3.0"},
                    {"certification": "sales-pro", "min": 1},
                ]
            },
        },
        {
            "key": "platinum",
            "name": "Platinum",
            "rank": 3,
            "rule": {
                "all": [
                    {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 680000},
                    {"metric": "deals", "agg": "count", "window": 24, "op": ">=", "value": 20},
                    {
                        "metric": "pipeline",
                        "agg": "latest",
                        "window": 3,
                        "op": ">=",
                        "value": 20000,
                    },
                    {
                        "any": [
                            {"certification": "sales-pro", "min": 2},
                            {
                                "metric": "csat",
                                "agg": "min",
                                "window": 12,
                                "op": ">=",
                                "value": "2.5",
                            },
                        ]
                    },
                ]
            },
        },
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=50_000)
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    setup_django()

    from django.db import connection
    from django_scopes import scope

    from metrics.models import Metric, MetricValue
    from partnerhub.tenancy.models import Tenant
    from tiers.models import Program
    from tiers.programs import program_load
    from tiers.services import placements_recalculate

    tenant = Tenant.objects.create(slug="bench", name="Bench")
    with scope(tenant=tenant):
        program, _, _ = program_load(tenant=tenant, data=PROGRAM)
        metric_ids = list(Metric.objects.order_by("key").values_list("pk", flat=True))
    first_month = _months_back(args.months)
    with connection.cursor() as cursor:
        partners_in_program(cursor, tenant.pk, program.pk, args.partners)
        cursor.execute(
            "INSERT INTO metrics_metricvalue (tenant_id, partner_id, metric_id, period, value) "
            "SELECT %s, p.id, m, (%s::date + make_interval(months => mo))::date, "
            "round((random() * 100000)::numeric, 2) FROM partners_partner p "
            "CROSS JOIN unnest(%s::bigint[]) m CROSS JOIN generate_series(0, %s - 1) mo "
            "WHERE p.tenant_id = %s",
            [tenant.pk, first_month, metric_ids, args.months, tenant.pk],
        )
        cursor.execute(
            "INSERT INTO training_certificationaward (tenant_id, partner_id, email, "
            "certification_id, earned_on, expires_on, source) SELECT %s, p.id, "
            "'person' || k || '@' || p.ref || '.test', c.id, '2025-01-01', NULL, 'import' "
            "FROM partners_partner p CROSS JOIN generate_series(1, 2) k "
            "JOIN training_certification c ON c.tenant_id = %s "
            "WHERE p.tenant_id = %s AND (p.id + k) %% 3 = 0",
            [tenant.pk, tenant.pk, tenant.pk],
        )
        cursor.execute("ANALYZE")
    with scope(tenant=tenant):
        values = MetricValue.objects.count()
    print(f"{args.partners:,} partners, {values:,} metric values · {machine()}")

    results: dict[str, float] = {}
    revenue = Metric.objects.with_scopes_disabled().get(tenant=tenant, key="revenue")
    floor_label = "floor: one GROUP BY summing revenue, 12 months"
    with timed(floor_label, results), connection.cursor() as cursor:
        cursor.execute(
            "SELECT partner_id, SUM(value) FROM metrics_metricvalue WHERE metric_id = %s "
            "AND period >= %s AND period <= %s GROUP BY partner_id",
            [revenue.pk, datetime.date(2025, 11, 1), datetime.date(2026, 10, 1)],
        )
        rows = cursor.fetchall()
    assert len(rows) == args.partners

    with scope(tenant=tenant):
        program = Program.objects.get()
        with timed("recalculation, first placement", results):
            first = placements_recalculate(program=program, as_of=AS_OF, notify=False)
        with timed("recalculation, next day", results):
            placements_recalculate(
                program=program, as_of=AS_OF + datetime.timedelta(days=1), notify=False
            )
    print(f"first run: {first.placed:,} placed; tiers: {_distribution(tenant)}")
    floor = results[floor_label]
    for label, seconds in results.items():
        print(f"{label:<48} {seconds:8.2f} s   ratio {seconds / floor:6.2f}")


def _months_back(months: int) -> datetime.date:
    index = AS_OF.year * 12 + AS_OF.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _distribution(tenant) -> str:
    from django.db.models import Count
    from django_scopes import scope

    from tiers.models import Placement

    with scope(tenant=tenant):
        counts = (
            Placement.objects.values_list("tier__key")
            .annotate(n=Count("pk"))
            .order_by("tier__rank")
        )
        return ", ".join(f"{key}: {n:,}" for key, n in counts)


if __name__ == "__main__":
    main()
