"""Time the partner list's pages at 50,000 partners: the first page and the last, in each sort.

    python bench/partner_list.py [--partners 50000] [--repeat 20]

For each sort the list offers, timed in one run: the selector the page uses (`partner_list` and
`keyset_page`: the page's rows with their tier, manager and program, and the count) for the first
page and for the page that opens at the 49,975th partner; against the floor, the hand-written SQL
for the same last page (a row comparison on the sort's index, LIMIT 25, no joins, no count); and
the OFFSET query the list used before (Django's Paginator) for that last page. The best of
`--repeat` runs each.
"""

import argparse
import time

from common import machine, setup_django


def best(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


FLOOR = {  # the last page, hand-written: what an index could not beat
    "ref": "ref > %(ref)s ORDER BY ref",
    "name": "(name, ref) > (%(name)s, %(ref)s) ORDER BY name, ref",
    "type": "(type, ref) > (%(type)s, %(ref)s) ORDER BY type, ref",
    "region": "(region, ref) > (%(region)s, %(ref)s) ORDER BY region, ref",
    "joined": "(joined_on, ref) > (%(joined_on)s, %(ref)s) ORDER BY joined_on, ref",
}
# The tier sort's key lives in its own table (tiers.PartnerTierOrder), highest tier first: the
# rest of the edge's tier by ref, then the lower tiers, each an index range of its own.
TIER_FLOOR = """
    SELECT * FROM (
        (SELECT p.id, p.ref FROM tiers_partnertierorder o JOIN partners_partner p
         ON p.id = o.partner_id WHERE o.tenant_id = %(tenant)s
         AND COALESCE(o.rank, -1) = %(rank)s AND o.ref > %(ref)s ORDER BY o.ref LIMIT 25)
        UNION ALL
        (SELECT p.id, p.ref FROM tiers_partnertierorder o JOIN partners_partner p
         ON p.id = o.partner_id WHERE o.tenant_id = %(tenant)s AND COALESCE(o.rank, -1) < %(rank)s
         ORDER BY COALESCE(o.rank, -1) DESC, o.ref LIMIT 25)
    ) AS page LIMIT 25
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    setup_django()

    from django.core.paginator import Paginator
    from django.db import connection
    from django_scopes import scope

    from partnerhub.keyset import _encode, keyset_page
    from partnerhub.tenancy.models import Tenant
    from partners.selectors import (
        PARTNER_SORTS,
        PartnerFilters,
        partner_list,
        partner_matches,
        partner_sort,
    )

    tenant = Tenant.objects.create(slug="bench", name="Bench")
    other = Tenant.objects.create(slug="other", name="Other")
    with connection.cursor() as cursor:
        for owner in (tenant, other):  # two tenants with the same refs
            cursor.execute(
                """
                INSERT INTO partners_partner (tenant_id, ref, name, type, region, status,
                                              joined_on, created_at, updated_at)
                SELECT %s, 'P-' || lpad(n::text, 6, '0'), 'Partner ' || (n * 7919 %% %s),
                       (ARRAY['reseller', 'msp', 'distributor'])[n %% 3 + 1],
                       (ARRAY['DACH', 'Nordics', 'Benelux', 'APAC', ''])[n %% 5 + 1],
                       CASE WHEN n %% 50 = 0 THEN 'suspended' ELSE 'active' END,
                       DATE '2020-01-01' + (n %% 2000), now(), now()
                FROM generate_series(1, %s) n
                """,
                [owner.pk, args.partners, args.partners],
            )
        cursor.execute("ANALYZE partners_partner")

    print(f"partner list, {args.partners:,} partners a tenant, 2 tenants · {machine()}")
    print("sort      first page   last page   floor (SQL)   ratio   OFFSET (before)   ratio")
    with scope(tenant=tenant):
        for sort in [s for s in PARTNER_SORTS if not s.startswith("-")]:
            filters = PartnerFilters(sort=sort)
            rows, counted = partner_list(filters=filters), partner_matches(filters=filters)
            order = partner_sort(filters)
            edge = rows[args.partners - 26]
            cursor_text = _encode(edge, order)

            def page(after="", rows=rows, order=order, counted=counted):
                return list(keyset_page(rows, order, size=25, after=after, counted=counted))

            first = best(page, args.repeat)
            last_page = keyset_page(rows, order, size=25, after=cursor_text, counted=counted)
            assert len(last_page) == 25 and last_page.next_cursor is None
            last = best(lambda: page(cursor_text), args.repeat)  # noqa: B023
            offset = best(
                lambda: list(Paginator(rows, 25).page(args.partners // 25)),  # noqa: B023
                args.repeat,
            )
            floor = None
            if sort in FLOOR or sort == "tier":
                values = {
                    "ref": edge.ref,
                    "name": edge.name,
                    "type": edge.type,
                    "region": edge.region,
                    "joined_on": edge.joined_on,
                    "rank": getattr(edge, "tier_order", None),
                }
                sql = TIER_FLOOR
                if sort != "tier":
                    sql = (
                        "SELECT id, ref, name, type, region, status, joined_on"
                        f" FROM partners_partner WHERE tenant_id = %(tenant)s AND {FLOOR[sort]}"
                        " LIMIT 25"
                    )

                def hand_written(sql=sql, values=values):
                    with connection.cursor() as cursor:
                        cursor.execute(sql, {**values, "tenant": tenant.pk})
                        return cursor.fetchall()

                assert [row[1] for row in hand_written()] == [p.ref for p in last_page]
                floor = best(hand_written, args.repeat)
            ms = 1000
            floor_text = (
                f"{floor * ms:9.2f} ms  {last / floor:6.1f}" if floor else f"{'—':>12}  {'—':>6}"
            )
            print(
                f"{sort:8} {first * ms:8.2f} ms {last * ms:8.2f} ms {floor_text}"
                f"   {offset * ms:10.2f} ms   {offset / last:6.1f}"
            )


if __name__ == "__main__":
    main()
