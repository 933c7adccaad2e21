"""Time a quarter's rebate accrual for 50,000 partners against a bare SQL sum of the quarter.

    python bench/accrue.py [--partners 50000]

Each partner has revenue and deals for the four quarters up to 2026-Q3 and one history entry
placing it in Silver or Gold (rebates on revenue, Gold's capped) before the quarter's end. Timed,
in one run: the floor (one GROUP BY summing 2026-Q3's revenue per partner), the first accrual
(50,000 ledger entries), the same accrual again (nothing to write), and again after 1,000 late
corrections (1,000 adjustments).
"""

import argparse
import datetime

from common import machine, partners_in_program, setup_django, timed

PROGRAM = {
    "key": "resell",
    "name": "Reseller Program",
    "metrics": [
        {"key": "revenue", "name": "Revenue", "unit": "currency"},
        {"key": "deals", "name": "Deals", "unit": "count"},
    ],
    "tiers": [
        {"key": "registered", "name": "Registered", "rank": 0, "rule": None},
        {
            "key": "silver",
            "name": "Silver",
            "rank": 1,
            "rule": {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 1},
            "rebates": [{"metric": "revenue", "rate": "2.5"}],
        },
        {
            "key": "gold",
            "name": "Gold",
            "rank": 2,
            "rule": {"metric": "revenue", "agg": "sum", "window": 12, "op": ">=", "value": 2},
            "rebates": [{"metric": "revenue", "rate": "3.5", "cap": "5000"}],
        },
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=50_000)
    args = parser.parse_args()
    setup_django()

    from django.db import connection
    from django_scopes import scope

    from incentives.models import RebateEntry
    from incentives.quarters import Quarter
    from incentives.services import rebates_accrue
    from metrics.models import Metric
    from partnerhub.tenancy.models import Tenant
    from tiers.models import CriteriaVersion, Tier
    from tiers.programs import program_load

    tenant = Tenant.objects.create(slug="bench", name="Bench")
    with scope(tenant=tenant):
        program, _, _ = program_load(tenant=tenant, data=PROGRAM)
        CriteriaVersion.objects.update(
            created_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
        )
        metric_ids = list(Metric.objects.order_by("key").values_list("pk", flat=True))
        revenue = Metric.objects.get(key="revenue").pk
        silver, gold = (Tier.objects.get(key=key).pk for key in ("silver", "gold"))
    with connection.cursor() as cursor:
        partners_in_program(cursor, tenant.pk, program.pk, args.partners)
        cursor.execute(
            "INSERT INTO metrics_metricvalue (tenant_id, partner_id, metric_id, period, value) "
            "SELECT %s, p.id, m, ('2025-10-01'::date + make_interval(months => mo))::date, "
            "round((random() * 100000)::numeric, 2) FROM partners_partner p "
            "CROSS JOIN unnest(%s::bigint[]) m CROSS JOIN generate_series(0, 11) mo "
            "WHERE p.tenant_id = %s",
            [tenant.pk, metric_ids, tenant.pk],
        )
        cursor.execute(
            "INSERT INTO tiers_placementchange (tenant_id, partner_id, program_id, from_tier_id, "
            'to_tier_id, "on", reason, version, created_at) SELECT %s, p.id, %s, NULL, '
            "CASE WHEN p.id %% 3 = 0 THEN %s ELSE %s END, '2026-01-05', 'placed', 1, now() "
            "FROM partners_partner p WHERE p.tenant_id = %s",
            [tenant.pk, program.pk, gold, silver, tenant.pk],
        )
        cursor.execute("ANALYZE")
    print(f"{args.partners:,} partners, 2026-Q3 · {machine()}")

    quarter = Quarter.parse("2026-Q3")
    results: dict[str, float] = {}
    floor_label = "floor: one GROUP BY summing the quarter's revenue"
    with timed(floor_label, results), connection.cursor() as cursor:
        cursor.execute(
            "SELECT partner_id, SUM(value) FROM metrics_metricvalue WHERE metric_id = %s "
            "AND period >= %s AND period <= %s GROUP BY partner_id",
            [revenue, quarter.first_day, quarter.months[-1]],
        )
        assert len(cursor.fetchall()) == args.partners
    with scope(tenant=tenant):
        with timed("accrual, first", results):
            first = rebates_accrue(tenant=tenant, quarter=quarter)
        assert first.accruals == args.partners, first
        with timed("accrual again, nothing changed", results):
            again = rebates_accrue(tenant=tenant, quarter=quarter)
        assert again.unchanged == args.partners and not again.adjustments
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE metrics_metricvalue SET value = value + 1000 WHERE metric_id = %s "
                "AND period = %s AND partner_id IN (SELECT id FROM partners_partner "
                "WHERE tenant_id = %s AND id %% 50 = 1)",
                [revenue, quarter.first_day, tenant.pk],
            )
        with timed("accrual after 1,000 late corrections", results):
            corrected = rebates_accrue(tenant=tenant, quarter=quarter)
        entries = RebateEntry.objects.count()
    print(f"adjustments after corrections: {corrected.adjustments:,}; ledger entries: {entries:,}")
    floor = results[floor_label]
    for label, seconds in results.items():
        print(f"{label:<52} {seconds:6.2f} s   ratio {seconds / floor:6.2f}")


if __name__ == "__main__":
    main()
