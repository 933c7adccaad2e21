"""What the staff home reads: the program's health at a glance, in a fixed number of queries.
Everything here is a count or a short list, each linking to where it is acted on."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from incentives.models import EntryKind, FundRequest, FundRequestStatus, RebateEntry
from incentives.quarters import Quarter
from metrics.models import MetricImport
from tiers.models import ChangeReason, Placement, PlacementChange, RecalculationRun, Tier
from tiers.selectors import demotions_waiting, keep_gaps
from training.models import CertificationAward
from training.selectors import held_on

STUCK_AFTER = datetime.timedelta(minutes=10)  # a running job whose heartbeat is this old


@dataclass(frozen=True)
class TierCount:
    tier: Tier | None
    partners: int
    at_risk: int


def tier_counts() -> list[TierCount]:
    """Partners per tier, highest first, with how many of them are at risk."""
    rows = (
        Placement.objects.values("tier_id")
        .annotate(partners=Count("pk"), at_risk=Count("pk", filter=Q(at_risk_since__isnull=False)))
        .order_by()
    )
    tiers = Tier.objects.in_bulk({row["tier_id"] for row in rows if row["tier_id"]})
    counts = [TierCount(tiers.get(row["tier_id"]), row["partners"], row["at_risk"]) for row in rows]
    return sorted(counts, key=lambda c: (c.tier is None, -(c.tier.rank if c.tier else 0)))


@dataclass
class MonthMoves:
    month: datetime.date
    up: int = 0
    down: int = 0


def moves_by_month(*, today: datetime.date, months: int = 12) -> list[MonthMoves]:
    """Promotions and demotions per month, the last `months` months. A first placement (a new
    partner, or one that joined another program) and leaving a program are neither."""
    back = today.year * 12 + today.month - 1 - (months - 1)
    first = datetime.date(back // 12, back % 12 + 1, 1)
    by_month = {m.month: m for m in _months(first, today)}
    rows = (
        PlacementChange.objects.filter(on__gte=first, on__lte=today, undone_at__isnull=True)
        .annotate(month=TruncMonth("on"))
        .values("month", "reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    up = {ChangeReason.PROMOTION}
    down = {ChangeReason.DEMOTION, ChangeReason.GRACE_EXPIRY}
    for row in rows:
        month = by_month.get(row["month"])
        if month is None:
            continue
        if row["reason"] in up:
            month.up += row["n"]
        elif row["reason"] in down:
            month.down += row["n"]
    return list(by_month.values())


def _months(first: datetime.date, last: datetime.date) -> list[MonthMoves]:
    found, month = [], first
    while month <= last:
        found.append(MonthMoves(month))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return found


@dataclass(frozen=True)
class JobLine:
    kind: str  # "run" or "import"
    label: str
    status: str
    when: datetime.datetime
    trouble: str  # "" when fine; "failed", "refused", "stuck"
    link_kwargs: dict = field(default_factory=dict)


def recent_jobs(*, limit: int = 5) -> list[JobLine]:
    """The last runs and imports, newest first; a failed or stuck one says so."""
    now = timezone.now()
    lines = []
    for run in RecalculationRun.objects.select_related("program")[:limit]:
        lines.append(
            JobLine("run", f"{run.program.name}, as of {run.as_of:%d %b %Y}", run.status,
                    run.started_at, _trouble(run, now), {"program_pk": run.program_id}),
        )  # fmt: skip
    for metric_import in MetricImport.objects.all()[:limit]:
        lines.append(
            JobLine("import", metric_import.file_name, metric_import.status,
                    metric_import.created_at, _trouble(metric_import, now),
                    {"import_pk": metric_import.pk}),
        )  # fmt: skip
    return sorted(lines, key=lambda line: line.when, reverse=True)[: 2 * limit]


def _trouble(job, now: datetime.datetime) -> str:
    if job.status in ("failed", "rejected", "refused"):
        return "failed" if job.status == "failed" else "refused"
    if job.status == "running" and (job.heartbeat_at or now) < now - STUCK_AFTER:
        return "stuck"
    return ""


@dataclass(frozen=True)
class Health:
    tiers: list[TierCount]
    moves: list[MonthMoves]
    jobs: list[JobLine]
    expiring: list[CertificationAward]
    expiring_total: int
    requests_waiting: int
    claims_waiting: int
    rebates_quarter: Quarter
    rebates_accrued: Decimal
    demotions_waiting: int
    # (placement at risk, days of grace left, what keeping the tier needs), soonest first
    at_risk: list[tuple[Placement, int | None, list[str]]]


def program_health(*, today: datetime.date, currency: str, manager=None) -> Health:
    """Everything the staff home shows; `manager` (a membership) narrows the at-risk list to
    the partners it manages."""
    horizon = today + datetime.timedelta(days=30)
    expiring = CertificationAward.objects.filter(
        held_on(today), expires_on__isnull=False, expires_on__lte=horizon
    )
    waiting = FundRequest.objects.aggregate(
        requests=Count("pk", filter=Q(status=FundRequestStatus.SUBMITTED)),
        claims=Count("pk", filter=Q(status=FundRequestStatus.CLAIMED)),
    )
    quarter = Quarter.of(today).previous()
    accrued = RebateEntry.objects.filter(
        quarter=str(quarter), kind__in=[EntryKind.ACCRUAL, EntryKind.ADJUSTMENT]
    ).aggregate(total=Sum("amount"))["total"]
    at_risk = Placement.objects.filter(at_risk_since__isnull=False).select_related(
        "partner", "tier", "program"
    )
    if manager is not None:
        at_risk = at_risk.filter(partner__account_manager=manager)
    soonest = sorted(
        at_risk.order_by("at_risk_since", "pk")[:20], key=lambda p: p.grace_ends_on() or today
    )
    gaps = keep_gaps(soonest, currency=currency)
    at_risk_list = [
        (p, (p.grace_ends_on() - today).days if p.grace_ends_on() else None, gaps.get(p.pk, []))
        for p in soonest
    ]
    return Health(
        tiers=tier_counts(),
        moves=moves_by_month(today=today),
        jobs=recent_jobs(),
        expiring=list(
            expiring.select_related("partner", "certification").order_by("expires_on")[:10]
        ),
        expiring_total=expiring.count(),
        requests_waiting=waiting["requests"],
        claims_waiting=waiting["claims"],
        rebates_quarter=quarter,
        rebates_accrued=accrued or Decimal("0.00"),
        demotions_waiting=demotions_waiting().count(),
        at_risk=at_risk_list,
    )


@dataclass(frozen=True)
class WouldMove:
    partner_id: int
    partner_ref: str
    partner_name: str
    from_tier: str | None
    to_tier: str | None
    reason: str
    program_key: str = ""
    program_name: str = ""


WOULD_MOVE_CACHE_SECONDS = 3600


def would_move(*, today: datetime.date, manager=None) -> list[WouldMove]:
    """Who the next run would move, by a dry run of each active program as of today: writes
    nothing. Kept an hour per program, criteria version and day (a program of 50,000 partners
    takes seconds to evaluate); a manager sees its own partners."""
    from django.core.cache import cache

    from partners.models import Partner
    from tiers.models import Program
    from tiers.services import placements_recalculate

    moves: list[WouldMove] = []
    for program in Program.objects.filter(active=True):
        key = f"would-move:2:{program.pk}:{program.version}:{program.last_evaluated_on}:{today}"
        found = cache.get(key)
        if found is None:
            summary = placements_recalculate(program=program, as_of=today, dry_run=True)
            names = dict(program.tiers.values_list("key", "name"))
            found = [
                (
                    c.partner_id,
                    c.partner_ref,
                    c.partner_name,
                    names.get(c.from_tier, c.from_tier),
                    names.get(c.to_tier, c.to_tier),
                    ChangeReason(c.reason).label,
                    program.key,
                    program.name,
                )
                for c in summary.changes
            ]
            cache.set(key, found, WOULD_MOVE_CACHE_SECONDS)
        moves += [WouldMove(*row) for row in found]
    if manager is not None:
        mine = set(Partner.objects.filter(account_manager=manager).values_list("pk", flat=True))
        moves = [move for move in moves if move.partner_id in mine]
    return moves
