"""The nightly run reads a chunk's metric values from the (partner, metric, period) index alone,
which carries the value; an import leaves the pages it wrote readable that way (it vacuums the
values after its commit). Committed imports: the vacuum runs after a real commit."""

import json

import pytest
from django.db import connection

from metrics.services import VACUUM_AFTER_ROWS

from .test_import import HEADER, run_import

pytestmark = pytest.mark.django_db(transaction=True)

MONTHS = [f"{year}-{month:02d}" for year in range(2016, 2027) for month in range(1, 13)][10:130]


def a_file_of(refs, metrics) -> str:
    lines = [
        f"{ref},{metric},{month},{index}.5"
        for ref in refs
        for metric in metrics
        for index, month in enumerate(MONTHS)
    ]
    return "\n".join([HEADER, *lines]) + "\n"


def chunk_read_plan(world) -> dict:
    """The plan of reading the world's partners' values the way a run's chunk does, with
    PostgreSQL told to use an index if any can serve (these tables are too small to need one)."""
    partner_ids = sorted(partner.pk for partner in world.partners.values())
    metric_ids = [metric.pk for metric in world.metrics.values()]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_bitmapscan = off")
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT partner_id, SUM(value), MIN(value), "
            "COUNT(*) FROM metrics_metricvalue WHERE metric_id = ANY(%s) "
            "AND period BETWEEN '2017-01-01' AND '2026-10-01' AND partner_id BETWEEN %s AND %s "
            "GROUP BY partner_id",
            [metric_ids, partner_ids[0], partner_ids[-1]],
        )
        (plan,) = cursor.fetchone()[0]
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_bitmapscan")
    scan = plan["Plan"]
    while scan.get("Plans"):
        (scan,) = scan["Plans"]
    return scan


def test_an_import_leaves_its_values_readable_from_the_index_alone(acme_metrics, globex_metrics):
    refs, metrics = list(acme_metrics.partners), list(acme_metrics.metrics)
    data = a_file_of(refs, metrics)
    assert len(refs) * len(metrics) * len(MONTHS) >= VACUUM_AFTER_ROWS
    for world in (acme_metrics, globex_metrics):  # the same refs in both tenants
        result = run_import(world, data)
        assert result.inserted == len(refs) * len(metrics) * len(MONTHS)

    for world in (acme_metrics, globex_metrics):
        scan = chunk_read_plan(world)
        assert (scan["Node Type"], scan["Index Name"]) == (
            "Index Only Scan",
            "metric_value_one_per_month",
        ), json.dumps(scan)
        assert scan["Actual Rows"] == len(refs) * len(metrics) * 118  # 2017-01 … 2026-10
        assert scan["Heap Fetches"] == 0


def test_a_small_import_leaves_its_pages_to_a_later_vacuum(acme_metrics):
    run_import(acme_metrics, a_file_of(["P-001"], ["revenue"]))  # 120 values

    scan = chunk_read_plan(acme_metrics)
    assert scan["Node Type"] == "Index Only Scan"
    assert scan["Heap Fetches"] == 118  # each value read from its row: no page is all-visible
