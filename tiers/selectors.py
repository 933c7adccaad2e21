import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import NoReturn

from django.db import connection
from django.db.models import Count, Max, Q

from metrics.models import ClosedMonth, Metric, MetricValue
from partners.models import Partner
from training.models import Certification, Course, CourseStatus
from training.selectors import certified_people_count, certified_people_count_any

from .engine import (
    GROWTH,
    CertificationCondition,
    MetricCondition,
    PartnerCondition,
    PartnerFacts,
    TierRule,
    Window,
    WindowStats,
    before_span,
    certification_keys,
    closest,
    conditions_read,
    parse_rule,
    window_span,
)
from .models import (
    ChangeReason,
    CriteriaVersion,
    Notice,
    PendingDemotion,
    PendingStatus,
    Placement,
    PlacementChange,
    Program,
    Tier,
)
from .progress import MetricInfo, condition_lines
from .rule_builder import Choices


def rule_builder_choices(*, currency: str) -> Choices:
    """What the criteria builder offers: the tenant's metrics and certifications."""
    return Choices(
        metrics={
            key: (name, unit)
            for key, name, unit in Metric.objects.values_list("key", "name", "unit")
        },
        certifications=dict(Certification.objects.values_list("key", "name")),
        currency=currency,
    )


def program_tier_rules(program: Program) -> tuple[list[Tier], list[TierRule]]:
    tiers = list(Tier.objects.filter(program=program).order_by("rank"))
    return tiers, [TierRule(tier.key, tier.rank, parse_rule(tier.rule)) for tier in tiers]


def program_facts(
    *,
    program: Program,
    rules: Iterable[TierRule],
    on: datetime.date,
    partners: tuple[int, int] | None = None,
) -> dict[int, PartnerFacts]:
    """Every fact the rules read, for every partner of the program (or those whose id lies in
    the range `partners`, both ends included): one query for the metrics, one for the
    certifications, one per certification family, one for the partners' own attributes when a
    rule reads them (and the program's tenant, for its fiscal year start, when a rule reads a
    fiscal window and the caller has not loaded it).

    {partner id: PartnerFacts}; partners with no value and no certification are absent and
    read as empty facts.
    """
    conditions = [c for tier in rules for c in conditions_read(tier.rule)]
    metric_conditions = [c for c in conditions if isinstance(c, MetricCondition)]
    spans = _metric_spans(program, metric_conditions, on)
    named = {c.certification for c in conditions if isinstance(c, CertificationCondition)}
    cert_keys = {key for key in named if isinstance(key, str)}
    families = {key for key in named if isinstance(key, tuple)}
    metrics: dict[int, dict] = defaultdict(dict)
    before: dict[int, dict] = defaultdict(dict)
    for partner_id, span, stats in _span_stats(program, spans, partners):
        if span.before:
            before[partner_id][(span.metric, span.window)] = stats
        else:
            metrics[partner_id][(span.metric, span.window)] = stats
    certified: dict[int, dict] = defaultdict(dict)
    placements = Placement.objects.filter(program=program)
    if partners is not None:
        placements = placements.filter(partner_id__gte=partners[0], partner_id__lte=partners[1])
    partner_ids = placements.values("partner_id")
    if cert_keys:
        for (partner_id, key), people in certified_people_count(
            on=on, partner_ids=partner_ids, certification_keys=cert_keys
        ).items():
            certified[partner_id][key] = people
    for family in families:
        for partner_id, people in certified_people_count_any(
            on=on, partner_ids=partner_ids, certification_keys=family
        ).items():
            certified[partner_id][family] = people
    attributes: dict[int, dict[str, str]] = {}
    if any(isinstance(c, PartnerCondition) for c in conditions):
        attributes = {
            pk: {"type": type_, "region": region}
            for pk, type_, region in Partner.objects.filter(pk__in=partner_ids).values_list(
                "pk", "type", "region"
            )
        }
    return {
        partner_id: PartnerFacts(
            metrics=metrics.get(partner_id, {}),
            certified=certified.get(partner_id, {}),
            attributes=attributes.get(partner_id, {}),
            before=before.get(partner_id, {}),
        )
        for partner_id in set(metrics) | set(certified) | set(attributes) | set(before)
    }


@dataclass(frozen=True)
class MetricSpan:
    """The months one (metric, window) reads on the day, and the aggregates its rules read;
    `before`: the as many months before the window, which growth compares with."""

    metric: str
    window: Window
    first: datetime.date
    last: datetime.date
    aggregates: frozenset[str]
    before: bool = False


def _metric_spans(program, conditions: list[MetricCondition], on) -> list[MetricSpan]:
    aggregates: dict[tuple[str, Window], set[str]] = defaultdict(set)
    for c in conditions:
        aggregates[(c.metric, c.window)].add(c.agg)
    fiscal = any(isinstance(window, str) for _, window in aggregates)
    fiscal_start = program.tenant.fiscal_year_start if fiscal else 1
    spans = []
    for (metric, window), aggs in sorted(aggregates.items(), key=str):
        first, last = window_span(window, on, fiscal_start)
        spans.append(MetricSpan(metric, window, first, last, frozenset(aggs)))
        if GROWTH in aggs and isinstance(window, int):
            first, last = before_span(window, on)
            spans.append(MetricSpan(metric, window, first, last, frozenset({"sum"}), True))
    return spans


def _span_stats(program, spans: list[MetricSpan], partners: tuple[int, int] | None):
    metric_ids = dict(
        Metric.objects.filter(key__in={span.metric for span in spans}).values_list("key", "pk")
    )
    wanted = [span for span in spans if span.metric in metric_ids]
    if not wanted:
        return []
    if connection.vendor == "postgresql":
        return _span_stats_sql(program, wanted, metric_ids, partners)
    return _span_stats_python(program, wanted, metric_ids, partners)


# The aggregates that read a window's total. A total no condition reads is not summed (a numeric
# SUM per window was a tenth of the query) and stays 0 in WindowStats, where nothing reads it.
TOTALLED = frozenset({"sum", "avg", GROWTH})
ZERO = Decimal(0)


def _span_stats_sql(program, spans: list[MetricSpan], metric_ids, partners=None):
    """One pass over the program's values, one row per partner; each span gets only the
    aggregates its conditions read, FILTERed to that metric and those months, in the order of
    WindowStats' fields (NULL for an aggregate no condition reads)."""
    columns, params = [], []
    for span in spans:
        where = "FILTER (WHERE v.metric_id = %s AND v.period BETWEEN %s AND %s)"
        wanted = span.aggregates
        stats = (
            f"SUM(v.value) {where}" if wanted & TOTALLED else None,
            f"COUNT(*) {where}",
            f"MIN(v.value) {where}" if "min" in wanted else None,
            f"MAX(v.value) {where}" if "max" in wanted else None,
            f"(ARRAY_AGG(v.value ORDER BY v.period DESC) {where})[1]"
            if "latest" in wanted
            else None,
        )
        for sql in stats:
            columns.append(sql or "NULL")
            if sql is not None:
                params += [metric_ids[span.metric], span.first, span.last]
    in_range = "AND v.partner_id BETWEEN %s AND %s " if partners else ""
    program_in_range = "AND t.partner_id BETWEEN %s AND %s" if partners else ""
    # Aggregated before the join to the program's placements: the values come off the
    # (partner, metric, period) index already grouped, with no sort (joined first, a chunk's
    # 480,000 values were hashed, sorted on disk and took 340 ms instead of 290).
    sql = (
        f"SELECT a.* FROM (SELECT v.partner_id, {', '.join(columns)} "  # noqa: S608 - constant SQL
        "FROM metrics_metricvalue v "
        "WHERE v.metric_id = ANY(%s) AND v.period >= %s AND v.period <= %s "
        f"{in_range}GROUP BY v.partner_id) a "
        "JOIN tiers_placement t ON t.partner_id = a.partner_id "
        f"WHERE t.program_id = %s {program_in_range}"
    )
    first = min(span.first for span in spans)
    last = max(span.last for span in spans)
    params += [sorted({metric_ids[span.metric] for span in spans}), first, last]
    params += [*(partners or ()), program.pk, *(partners or ())]
    width = len(fields(WindowStats))
    at = [(span, 1 + index * width) for index, span in enumerate(spans)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            for span, start in at:
                if row[start + 1]:  # the count: no value in the window, no stats
                    total, *rest = row[start : start + width]
                    yield row[0], span, WindowStats(total or ZERO, *rest)


def _span_stats_python(program, spans: list[MetricSpan], metric_ids, partners=None):
    """The same facts computed in Python from the rows (SQLite has no FILTER on arrays)."""
    in_program = MetricValue.objects.all()
    if partners is not None:
        in_program = in_program.filter(partner_id__gte=partners[0], partner_id__lte=partners[1])
    rows = in_program.filter(
        partner__placements__program=program,
        metric_id__in={metric_ids[span.metric] for span in spans},
        period__gte=min(span.first for span in spans),
        period__lte=max(span.last for span in spans),
    ).values_list("partner_id", "metric__key", "period", "value")
    by_series: dict[tuple[int, str], list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    for partner_id, key, period, value in rows:
        by_series[(partner_id, key)].append((period, value))
    for (partner_id, key), series in by_series.items():
        series.sort()
        for span in spans:
            if span.metric != key:
                continue
            values = [value for period, value in series if span.first <= period <= span.last]
            if values:
                yield (
                    partner_id,
                    span,
                    WindowStats(
                        sum(values, Decimal(0)), len(values), min(values), max(values), values[-1]
                    ),
                )


def partner_tracks(partner_id: int) -> list[Placement]:
    """The partner's placements, one per program it belongs to, by program name."""
    return list(
        Placement.objects.select_related(
            "tier", "program", "qualified_tier", "override_tier", "override_by"
        )
        .filter(partner_id=partner_id)
        .order_by("program__name", "program_id")
    )


class NoSuchTrack(ValueError):
    """The partner is in no program, or not in the one named."""


class TrackNotNamed(NoSuchTrack):
    """The partner is in several programs and none was named."""


def partner_track(partner: Partner, program_key: str | None) -> Placement:
    """The partner's placement in the program `program_key`; with no key, its only one."""
    tracks = partner_tracks(partner.pk)
    keys = [track.program.key for track in tracks]
    if not tracks:
        raise NoSuchTrack(f"{partner.name} is in no program.")
    if not program_key and len(tracks) > 1:
        raise TrackNotNamed(
            f"{partner.name} is in {len(tracks)} programs ({', '.join(keys)}); name one."
        )
    found = track_shown(tracks, program_key)
    if found is None:
        _not_in(partner, program_key or "", keys)
    return found


def track_shown(tracks: list[Placement], program_key: str | None) -> Placement | None:
    """Of a partner's tracks, the one in the program `program_key` names, or the first (by
    name) when none is named; None when the key names none of them, or there are none."""
    if not program_key:
        return tracks[0] if tracks else None
    return next((track for track in tracks if track.program.key == program_key), None)


def _not_in(partner: Partner, program_key: str, keys: list[str]) -> NoReturn:
    guess = closest(program_key, keys)
    hint = f"did you mean “{guess}”?" if guess else f"its programs: {', '.join(keys)}"
    raise NoSuchTrack(f"{partner.name} is not in a program “{program_key[:60]}” ({hint})")


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
    """The history entries of `program` from `first` to `last`, newest first: by day, then in
    the order they were recorded."""
    return (
        PlacementChange.objects.filter(program=program, on__gte=first, on__lte=last)
        .select_related("partner", "from_tier", "to_tier")
        .order_by("-on", "-pk")
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


# What a run (or a manager's decision on a demotion) moves a partner for, and announces.
ANNOUNCED_REASONS = [
    ChangeReason.PLACED,
    ChangeReason.PROMOTION,
    ChangeReason.DEMOTION,
    ChangeReason.GRACE_EXPIRY,
    ChangeReason.AT_RISK,
    ChangeReason.OVERRIDE,
]


def history_last_id(program_id: int, on: datetime.date) -> int:
    """The newest history entry of the program on `on`, 0 for none: what a run reads before
    it writes, to find its own entries afterwards (history_written)."""
    last = PlacementChange.objects.filter(program_id=program_id, on=on).aggregate(Max("pk"))
    return last["pk__max"] or 0


def history_written(
    program_id: int, on: datetime.date, *, after: int, last: int | None = None, by=None
):
    """The moves in the program's history on `on` after entry `after` (up to `last`), by `by`
    (nobody: a run's own). Entries take their ids from one sequence, so whatever a transaction
    writes comes after what it read before; runs of one program take turns (an advisory lock),
    and a manager's decision names its author: so this is one run's (or decision's) entries."""
    entries = PlacementChange.objects.filter(
        program_id=program_id,
        on=on,
        pk__gt=after,
        by=by,
        reason__in=ANNOUNCED_REASONS,
        undone_at__isnull=True,
    )
    return entries if last is None else entries.filter(pk__lte=last)


def active_overrides(program: Program, today: datetime.date):
    return (
        Placement.objects.filter(program=program, override_tier__isnull=False)
        .filter(Q(override_until__gt=today))
        .select_related("partner", "override_tier", "override_by")
        .order_by("override_until")
    )


@dataclass
class PartnerStanding:
    placement: Placement | None
    tracks: list[Placement] = field(default_factory=list)  # every program the partner is in
    tier: Tier | None = None
    next_tier: Tier | None = None
    progress: list = field(default_factory=list)
    keep_progress: list = field(default_factory=list)  # at risk: what keeping the tier needs
    history: list = field(default_factory=list)
    evaluated_with_older_criteria: bool = False

    @property
    def benefits(self):
        return list(self.tier.benefits.all()) if self.tier else []

    @property
    def next_benefits(self):
        return list(self.next_tier.benefits.all()) if self.next_tier else []

    @property
    def grace_ends_on(self) -> datetime.date | None:
        return self.placement.grace_ends_on() if self.placement else None

    @property
    def history_spans_programs(self) -> bool:
        """Whether the history needs a program column: it holds more than the one program
        shown (the partner is in several, or was in another)."""
        shown = {self.placement.program_id} if self.placement else set()
        return len(self.tracks) > 1 or bool({c.program_id for c in self.history} - shown)


def partner_standing(
    *, partner: Partner, currency: str, program_key: str | None = None
) -> PartnerStanding:
    """The partner's tier, benefits, next tier and progress toward it in one of its programs
    (`program_key`, or the first by name), and its history in all of them.

    Progress reads the latest evaluation's explanation against the rules of the criteria
    version that evaluation used, so the lines always match what was decided. A fixed number
    of queries. NoSuchTrack for a key of a program the partner is not in.
    """
    tracks = partner_tracks(partner.pk)
    placement = track_shown(tracks, program_key)
    if program_key and placement is None:
        _not_in(partner, program_key, [t.program.key for t in tracks])
    standing = PartnerStanding(placement, tracks)
    standing.history = list(
        PlacementChange.objects.filter(partner=partner)
        .select_related("from_tier", "to_tier", "by", "program")
        .order_by("-on", "-pk")[:12]
    )
    if placement is None:
        return standing
    tiers = list(
        Tier.objects.filter(program=placement.program).prefetch_related("benefits").order_by("rank")
    )
    standing.tier = next((t for t in tiers if t.pk == placement.tier_id), None)
    rank = standing.tier.rank if standing.tier else -1
    standing.next_tier = next((t for t in tiers if t.rank > rank), None)
    standing.evaluated_with_older_criteria = CriteriaVersion.objects.filter(
        program=placement.program,
        number__gt=placement.version or 0,
        moves_placements=True,
    ).exists()
    keep = standing.tier if placement.at_risk_since else None
    wanted = [tier for tier in (standing.next_tier, keep) if tier is not None]
    if wanted and placement.explanation:
        lines = _with_courses(_progress_toward(placement, wanted, currency))
        if standing.next_tier is not None:
            standing.progress = lines[standing.next_tier.key]
        if keep is not None:
            standing.keep_progress = [line for line in lines[keep.key] if not line.held]
    return standing


def _with_courses(lines: dict[str, list]) -> dict[str, list]:
    """A missing certification line carries the published courses that earn it (one query)."""
    missing = {
        key
        for tier_lines in lines.values()
        for line in tier_lines
        if line.certification and not line.held
        for key in certification_keys(line.certification)
    }
    if not missing:
        return lines
    courses: dict[str, list] = {key: [] for key in missing}
    found = (
        Course.objects.filter(status=CourseStatus.PUBLISHED, certifications__key__in=missing)
        .values_list("certifications__key", "pk", "title")
        .order_by("title")
    )
    for key, pk, title in found:
        courses[key].append((pk, title))
    return {
        tier: [
            replace(
                line,
                courses=tuple(
                    dict.fromkeys(
                        c for key in certification_keys(line.certification) for c in courses[key]
                    )
                ),
            )
            if line.certification and not line.held
            else line
            for line in tier_lines
        ]
        for tier, tier_lines in lines.items()
    }


def _progress_toward(placement: Placement, tiers: list[Tier], currency: str) -> dict[str, list]:
    """{tier key: its condition lines} for one placement (see explained_lines)."""
    lines = explained_lines([(placement, tier) for tier in tiers], currency=currency)
    return {tier.key: lines.get((placement.pk, tier.key), []) for tier in tiers}


def explained_lines(
    pairs: list[tuple[Placement, Tier]], *, currency: str
) -> dict[tuple[int, str], list]:
    """{(placement id, tier key): the tier's condition lines}, read from each placement's
    explanation against the rules of the criteria version its evaluation used (the tier's
    current rule where that version is gone). Three queries for any number of pairs."""
    wanted = [(p, t) for p, t in pairs if t.key in (p.explanation or {}).get("tiers", {})]
    if not wanted:
        return {}
    versions: dict[tuple, dict] = {
        (program_id, number): {t["key"]: t for t in snapshot["tiers"]}
        for program_id, number, snapshot in CriteriaVersion.objects.filter(
            program_id__in={p.program_id for p, _ in wanted},
            number__in={p.explanation.get("version") for p, _ in wanted},
        ).values_list("program_id", "number", "snapshot")
    }
    metrics = {
        key: MetricInfo(name, unit)
        for key, name, unit in Metric.objects.values_list("key", "name", "unit")
    }
    certifications = dict(Certification.objects.values_list("key", "name"))
    found = {}
    for placement, tier in wanted:
        snapshot = versions.get((placement.program_id, placement.explanation.get("version")), {})
        found[(placement.pk, tier.key)] = condition_lines(
            snapshot.get(tier.key, {}).get("rule", tier.rule),
            placement.explanation["tiers"][tier.key][1],
            metrics=metrics,
            certifications=certifications,
            currency=currency,
        )
    return found


def notices_unread(*, user, limit: int = 5) -> list:
    return list(Notice.objects.filter(user=user, read_at__isnull=True)[:limit])


def notices_unread_count(*, user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def notices_of(*, user):
    """Every notice of `user` in this program, newest first (the inbox pages through them)."""
    return Notice.objects.filter(user=user).order_by("-created_at", "-pk")


def keep_gaps(placements: list[Placement], *, currency: str) -> dict[int, list[str]]:
    """{placement id: what keeping its tier needs, in words} for at-risk placements (see
    explained_lines: three queries for any number)."""
    pairs = [
        (p, p.tier) for p in placements if p.at_risk_since and p.tier is not None and p.explanation
    ]
    lines = explained_lines(pairs, currency=currency)
    return {
        p.pk: [line.missing for line in lines[(p.pk, tier.key)] if not line.held and line.missing]
        for p, tier in pairs
        if (p.pk, tier.key) in lines
    }


def demotions_waiting():
    """The managers' queue: due demotions waiting for a decision, longest waiting first."""
    return (
        PendingDemotion.objects.filter(status=PendingStatus.PENDING)
        .select_related("partner", "program", "from_tier", "to_tier")
        .order_by("due_on", "pk")
    )


def demotions_decided(*, limit: int = 20) -> list[PendingDemotion]:
    return list(
        PendingDemotion.objects.exclude(status=PendingStatus.PENDING)
        .select_related("partner", "from_tier", "to_tier", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class OpenData:
    """A metric the program's rules read whose months are not all closed."""

    metric: str  # its name
    first: datetime.date  # the first open month read
    last: datetime.date  # the last one
    days_late: int  # of the last: days since the month after it began

    def __str__(self) -> str:
        late = f"{self.days_late} day{'s' if self.days_late != 1 else ''} late"
        if self.first == self.last:
            return f"{self.metric.lower()} {self.last:%Y-%m} ({late})"
        return f"{self.metric.lower()} {self.first:%Y-%m} to {self.last:%Y-%m} (the last {late})"


def open_data(program: Program, on: datetime.date) -> list[OpenData]:
    """What a run of `program` on `on` waits for: per metric, the months its rules read that
    are not closed yet (a month is closed when it, or a later one, is). Empty when the program
    does not require closed months, or its rules read only closed ones."""
    if not program.require_closed_months:
        return []

    _, rules = program_tier_rules(program)
    reads = [
        c for tier in rules for c in conditions_read(tier.rule) if isinstance(c, MetricCondition)
    ]
    if not reads:
        return []
    closed_through = ClosedMonth.objects.aggregate(last=Max("month"))["last"]
    spans = _metric_spans(program, reads, on)
    names = dict(
        Metric.objects.filter(key__in={s.metric for s in spans}).values_list("key", "name")
    )
    found = []
    for metric in sorted({span.metric for span in spans}):
        last = max(span.last for span in spans if span.metric == metric)
        if closed_through is not None and last <= closed_through:
            continue
        first = min(span.first for span in spans if span.metric == metric)
        if closed_through is not None:
            first = max(first, _next_month(closed_through))
        late = (on - _next_month(last)).days
        found.append(OpenData(names.get(metric, metric), first, last, max(late, 0)))
    return found


def _next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
