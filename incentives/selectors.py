"""What rebates read: each partner's tier at a quarter's end, the rates in force then, the
quarter's metric sums and what the ledger holds already. A few set-based queries each."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from metrics.models import Metric, MetricValue
from tiers.models import CriteriaVersion, Placement, PlacementChange, Tier

from .models import EntryKind, RebateEntry
from .quarters import Quarter


def tiers_held_at_end(on: datetime.date) -> dict[int, list[Tier]]:
    """{partner id: the tiers it held at the end of `on`, one per program}, from each partner's
    latest history entry in each program dated on or before `on` (a program where that entry
    leaves it with no tier, or records that it left, is absent)."""
    changes = PlacementChange.objects.filter(on__lte=on)
    if connection.vendor == "postgresql":
        latest = changes.order_by("partner_id", "program_id", "-on", "-pk").distinct(
            "partner_id", "program_id"
        )
        rows = latest.values_list("partner_id", "program_id", "to_tier_id")
        tier_ids = {(partner, program): tier for partner, program, tier in rows}
    else:
        ordered = changes.order_by("partner_id", "program_id", "on", "pk")
        tier_ids = {
            (partner, program): tier
            for partner, program, tier in ordered.values_list(
                "partner_id", "program_id", "to_tier_id"
            )
        }
    tiers = Tier.objects.in_bulk({tier_id for tier_id in tier_ids.values() if tier_id})
    held: dict[int, list[Tier]] = defaultdict(list)
    for (partner_id, _), tier_id in sorted(tier_ids.items()):
        if tier_id in tiers:
            held[partner_id].append(tiers[tier_id])
    return dict(held)


def tiers_held_now(partner_ids=None) -> dict[int, list[Tier]]:
    """{partner id: the tiers it holds now, one per program, by program name}."""
    placements = Placement.objects.filter(tier__isnull=False).select_related("tier__program")
    if partner_ids is not None:
        placements = placements.filter(partner_id__in=partner_ids)
    held: dict[int, list[Tier]] = defaultdict(list)
    for placement in placements.order_by("program__name", "program_id"):
        if placement.tier is not None:
            held[placement.partner_id].append(placement.tier)
    return dict(held)


@dataclass(frozen=True)
class RebateRate:
    metric: str
    rate: Decimal
    cap: Decimal | None


def tiers_in_force(*, program_ids: set[int], before: datetime.datetime) -> dict[tuple, dict]:
    """{(program id, tier key): the tier as its program's latest criteria version made before
    `before` describes it (the moment a day ended, in the tenant's time)}."""
    found: dict[tuple, dict] = {}
    versions = (
        CriteriaVersion.objects.filter(program_id__in=program_ids, created_at__lt=before)
        .order_by("program_id", "-number")
        .values_list("program_id", "snapshot")
    )
    seen: set[int] = set()
    for program_id, snapshot in versions:
        if program_id in seen:
            continue  # an older version of a program already read
        seen.add(program_id)
        for tier in snapshot["tiers"]:
            found[(program_id, tier["key"])] = tier
    return found


def rebate_rates_in_force(
    *, program_ids: set[int], before: datetime.datetime
) -> dict[tuple[int, str], list[RebateRate]]:
    """{(program id, tier key): rates} of the criteria version in force before `before`."""
    return {
        key: [
            RebateRate(r["metric"], Decimal(r["rate"]), Decimal(r["cap"]) if "cap" in r else None)
            for r in tier.get("rebates") or []
        ]
        for key, tier in tiers_in_force(program_ids=program_ids, before=before).items()
    }


def end_of_day(day: datetime.date, zone) -> datetime.datetime:
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time(0), tzinfo=zone
    )


def quarter_sums(*, quarter: Quarter, metric_keys: set[str]) -> dict[tuple[int, str], Decimal]:
    """{(partner id, metric key): the sum of the quarter's three months} (absent: no value)."""
    rows = (
        MetricValue.objects.filter(
            metric__key__in=metric_keys,
            period__gte=quarter.first_day,
            period__lte=quarter.months[-1],
        )
        .values_list("partner_id", "metric__key")
        .annotate(total=Sum("value"))
        .order_by()
    )
    return {(partner, key): total for partner, key, total in rows}


@dataclass
class LedgerLine:
    """A partner's rebate for one quarter and metric, as the ledger holds it."""

    accrued: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    base: Decimal | None = None
    rate: Decimal | None = None
    tier_id: int | None = None

    @property
    def owed(self) -> Decimal:
        return self.accrued - self.paid


def ledger_lines(*, quarter: Quarter) -> dict[tuple[int, int], LedgerLine]:
    """{(partner id, metric id): its line}: sums by kind, and the latest base, rate and tier."""
    lines: dict[tuple[int, int], LedgerLine] = defaultdict(LedgerLine)
    entries = RebateEntry.objects.filter(quarter=str(quarter)).order_by("pk")
    for partner, metric, kind, amount, base, rate, tier in entries.values_list(
        "partner_id", "metric_id", "kind", "amount", "base", "rate", "tier_id"
    ):
        line = lines[(partner, metric)]
        if kind == EntryKind.PAYOUT:
            line.paid += amount
        else:
            line.accrued += amount
            line.base, line.rate, line.tier_id = base, rate, tier
    return dict(lines)


def metric_ids(keys: set[str]) -> dict[str, int]:
    return dict(Metric.objects.filter(key__in=keys).values_list("key", "pk"))


@dataclass(frozen=True)
class StatementRow:
    partner_ref: str
    quarter: str
    tier: str
    metric: str
    base: Decimal
    rate: Decimal
    amount: Decimal
    paid: Decimal

    @property
    def owed(self) -> Decimal:
        """Negative when a later adjustment left the partner over-paid."""
        return self.amount - self.paid


def rebate_statement(*, quarter: Quarter, partner_id: int | None = None) -> list[StatementRow]:
    """One row per partner and metric with any ledger entry in the quarter, by ref and metric."""
    from partners.models import Partner

    lines = ledger_lines(quarter=quarter)
    if partner_id is not None:
        lines = {key: line for key, line in lines.items() if key[0] == partner_id}
    refs = dict(Partner.objects.filter(pk__in={p for p, _ in lines}).values_list("pk", "ref"))
    keys = dict(Metric.objects.filter(pk__in={m for _, m in lines}).values_list("pk", "key"))
    tiers = dict(
        Tier.objects.filter(pk__in={line.tier_id for line in lines.values()}).values_list(
            "pk", "key"
        )
    )
    rows = [
        StatementRow(
            refs[partner],
            str(quarter),
            tiers.get(line.tier_id, "") if line.tier_id is not None else "",
            keys[metric],
            line.base if line.base is not None else Decimal(0),
            line.rate if line.rate is not None else Decimal(0),
            line.accrued,
            line.paid,
        )
        for (partner, metric), line in lines.items()
    ]
    return sorted(rows, key=lambda row: (row.partner_ref, row.metric))


def rebate_ledger(*, quarter: Quarter):
    return (
        RebateEntry.objects.filter(quarter=str(quarter))
        .select_related("partner", "metric")
        .order_by("partner__ref", "metric__key", "pk")
    )


def partner_rebate_statement(*, partner_id: int) -> list[StatementRow]:
    """Every quarter of one partner's rebates, newest first, one row per metric."""
    quarters = (
        RebateEntry.objects.filter(partner_id=partner_id)
        .values_list("quarter", flat=True)
        .distinct()
        .order_by()
    )
    rows = []
    for quarter in sorted(set(quarters), reverse=True):
        rows += rebate_statement(quarter=Quarter.parse(quarter), partner_id=partner_id)
    return rows


@dataclass
class TierTotal:
    tier: str
    partners: int = 0
    base: Decimal = Decimal(0)
    accrued: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")

    @property
    def owed(self) -> Decimal:
        return self.accrued - self.paid


def rebate_totals_by_tier(*, quarter: Quarter) -> list[TierTotal]:
    """A quarter's rebates per tier, for finance: partners, base, accrued, paid, owed."""
    totals: dict[str, TierTotal] = {}
    partners: dict[str, set[str]] = defaultdict(set)
    for row in rebate_statement(quarter=quarter):
        total = totals.setdefault(row.tier, TierTotal(row.tier))
        partners[row.tier].add(row.partner_ref)
        total.base += row.base
        total.accrued += row.amount
        total.paid += row.paid
    for tier, refs in partners.items():
        totals[tier].partners = len(refs)
    return sorted(totals.values(), key=lambda total: total.tier)


@dataclass(frozen=True)
class TierWorth:
    """What holding a tier pays, per quarter: its rebates, its MDF and its discount."""

    tier: Tier
    rebates: list[tuple[str, Decimal, Decimal | None]]  # (metric name, rate, cap)
    mdf_quarterly: Decimal | None
    discount: str | None

    @property
    def pays_anything(self) -> bool:
        return bool(self.rebates or self.mdf_quarterly or self.discount)


def tiers_worth(*tiers: Tier | None) -> list[TierWorth | None]:
    """What each of `tiers` pays (None for no tier), reading metric names once."""
    names = dict(Metric.objects.values_list("key", "name")) if any(tiers) else {}
    return [_worth(tier, names) if tier is not None else None for tier in tiers]


def _worth(tier: Tier, names: dict[str, str]) -> TierWorth:
    rebates = [
        (
            names.get(r["metric"], r["metric"]),
            Decimal(r["rate"]),
            Decimal(r["cap"]) if "cap" in r else None,
        )
        for r in tier.rebates or []
    ]
    discount = next((b.value or b.title for b in tier.benefits.all() if b.kind == "discount"), None)
    return TierWorth(tier, rebates, tier.mdf_quarterly, discount)


@dataclass(frozen=True)
class DiscountRow:
    partner_ref: str
    tier: str  # the tier's key; "" without a tier
    percent: Decimal


def discount_price_list() -> list[DiscountRow]:
    """Every partner's discount by the tier it holds now (0 without one), by ref: the ERP
    replaces its partner price lists with this, so a partner that lost its tier loses its
    discount there too."""
    from partners.models import Partner
    from tiers.models import Benefit, BenefitKind
    from tiers.program_file import discount_percent

    percents: dict[int, Decimal] = {}
    benefits = Benefit.objects.filter(kind=BenefitKind.DISCOUNT).order_by("tier_id", "position")
    for tier_id, value in benefits.values_list("tier_id", "value"):
        percent = discount_percent(value)
        if percent is not None:
            percents.setdefault(tier_id, percent)
    held = tiers_held_now()
    rows = []
    for partner_id, ref in Partner.objects.order_by("ref").values_list("pk", "ref"):
        # In several programs, the partner buys at the best discount any of its tiers gives.
        best = max(
            ((percents.get(tier.pk, Decimal(0)), tier.key) for tier in held.get(partner_id, [])),
            default=None,
            key=lambda pair: pair[0],
        )
        if best is None:
            rows.append(DiscountRow(ref, "", Decimal(0)))
        else:
            rows.append(DiscountRow(ref, best[1], best[0]))
    return rows
