import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q

from metrics.models import Metric, MetricValue
from partners.models import Partner
from training.selectors import certified_people_count

from .engine import (
    CertificationCondition,
    MetricCondition,
    PartnerFacts,
    TierRule,
    WindowStats,
    conditions_of,
    parse_rule,
    window_months,
)
from .models import Placement, PlacementChange, Program, Tier


def program_tier_rules(program: Program) -> tuple[list[Tier], list[TierRule]]:
    tiers = list(Tier.objects.filter(program=program).order_by("rank"))
    return tiers, [TierRule(tier.key, tier.rank, parse_rule(tier.rule)) for tier in tiers]


def program_facts(
    *, program: Program, rules: Iterable[TierRule], on: datetime.date
) -> dict[int, PartnerFacts]:
    """Every fact the rules read, for every partner of the program, in two queries.

    {partner id: PartnerFacts}; partners with no value and no certification are absent and
    read as empty facts.
    """
    conditions = [c for tier in rules for c in conditions_of(tier.rule)]
    windows = {(c.metric, c.window) for c in conditions if isinstance(c, MetricCondition)}
    cert_keys = {c.certification for c in conditions if isinstance(c, CertificationCondition)}
    metrics: dict[int, dict] = defaultdict(dict)
    if windows:
        for partner_id, key, months, stats in _window_stats(program, windows, on):
            metrics[partner_id][(key, months)] = stats
    certified: dict[int, dict] = defaultdict(dict)
    if cert_keys:
        partner_ids = Partner.objects.filter(program=program).values("pk")
        for (partner_id, key), people in certified_people_count(
            on=on, partner_ids=partner_ids, certification_keys=cert_keys
        ).items():
            certified[partner_id][key] = people
    return {
        partner_id: PartnerFacts(
            metrics=metrics.get(partner_id, {}), certified=certified.get(partner_id, {})
        )
        for partner_id in set(metrics) | set(certified)
    }


def _window_stats(program, windows, on):
    metric_ids = dict(
        Metric.objects.filter(key__in={key for key, _ in windows}).values_list("key", "pk")
    )
    wanted = [(key, months) for key, months in sorted(windows) if key in metric_ids]
    if not wanted:
        return []
    if connection.vendor == "postgresql":
        return _window_stats_sql(program, wanted, metric_ids, on)
    return _window_stats_python(program, wanted, metric_ids, on)


def _window_stats_sql(program, wanted, metric_ids, on):
    """One GROUP BY over the longest window; each window's aggregates FILTERed to its months."""
    last = window_months(on, 1)[1]
    starts = sorted({window_months(on, months)[0] for _, months in wanted})
    columns, params = [], []
    for start in starts:
        in_window = "FILTER (WHERE v.period >= %s)"
        columns.append(
            f"SUM(v.value) {in_window}, COUNT(*) {in_window}, MIN(v.value) {in_window}, "
            f"MAX(v.value) {in_window}, (ARRAY_AGG(v.value ORDER BY v.period DESC) {in_window})[1]"
        )
        params += [start] * 5
    sql = (
        f"SELECT v.partner_id, v.metric_id, {', '.join(columns)} "  # noqa: S608 - constant SQL
        "FROM metrics_metricvalue v JOIN partners_partner p ON p.id = v.partner_id "
        "WHERE p.program_id = %s AND v.metric_id = ANY(%s) AND v.period >= %s AND v.period <= %s "
        "GROUP BY v.partner_id, v.metric_id"
    )
    ids = sorted({metric_ids[key] for key, _ in wanted})
    params += [program.pk, ids, starts[0], last]
    key_of = {pk: key for key, pk in metric_ids.items()}
    start_of = {months: window_months(on, months)[0] for _, months in wanted}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            partner_id, metric_id = row[0], row[1]
            key = key_of[metric_id]
            for wanted_key, months in wanted:
                if wanted_key != key:
                    continue
                base = 2 + 5 * starts.index(start_of[months])
                total, count, low, high, latest = row[base : base + 5]
                if count:
                    yield partner_id, key, months, WindowStats(total, count, low, high, latest)


def _window_stats_python(program, wanted, metric_ids, on):
    """The same facts computed in Python from the rows (SQLite has no FILTER on arrays)."""
    last = window_months(on, 1)[1]
    first = min(window_months(on, months)[0] for _, months in wanted)
    rows = MetricValue.objects.filter(
        partner__program=program,
        metric_id__in={metric_ids[key] for key, _ in wanted},
        period__gte=first,
        period__lte=last,
    ).values_list("partner_id", "metric__key", "period", "value")
    by_series: dict[tuple[int, str], list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    for partner_id, key, period, value in rows:
        by_series[(partner_id, key)].append((period, value))
    for (partner_id, key), series in by_series.items():
        series.sort()
        for wanted_key, months in wanted:
            if wanted_key != key:
                continue
            start = window_months(on, months)[0]
            values = [value for period, value in series if period >= start]
            if values:
                yield (
                    partner_id,
                    key,
                    months,
                    WindowStats(
                        sum(values, Decimal(0)), len(values), min(values), max(values), values[-1]
                    ),
                )


def placement_for_partner(partner_id: int) -> Placement | None:
    return (
        Placement.objects.select_related("tier", "program", "qualified_tier", "override_tier")
        .filter(partner_id=partner_id)
        .first()
    )


def tier_distribution(program: Program) -> list[tuple[Tier | None, int]]:
    counts = dict(
        Placement.objects.filter(program=program)
        .values_list("tier_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    tiers = list(Tier.objects.filter(program=program).order_by("-rank"))
    return [(tier, counts.get(tier.pk, 0)) for tier in tiers] + [(None, counts.get(None, 0))]


def movements(*, program: Program, first: datetime.date, last: datetime.date):
    return (
        PlacementChange.objects.filter(program=program, on__gte=first, on__lte=last)
        .select_related("partner", "from_tier", "to_tier")
        .order_by("-on", "partner__ref")
    )


def movement_counts(
    *, program: Program, first: datetime.date, last: datetime.date
) -> dict[str, int]:
    return dict(
        PlacementChange.objects.filter(program=program, on__gte=first, on__lte=last)
        .values_list("reason")
        .annotate(n=Count("pk"))
        .order_by()
    )


def active_overrides(program: Program, today: datetime.date):
    return (
        Placement.objects.filter(program=program, override_tier__isnull=False)
        .filter(Q(override_until__gt=today))
        .select_related("partner", "override_tier", "override_by")
        .order_by("override_until")
    )
