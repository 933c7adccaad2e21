"""Accruing rebates into the ledger, and paying them out. Exact to the cent; all or nothing."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.db import transaction

from partnerhub.jobs import job_run
from partnerhub.locks import LockFor, lock_until_commit
from partnerhub.queue import enqueue_on_commit
from partnerhub.tenancy.models import Tenant
from partnerhub.webhooks.models import EventType
from partnerhub.webhooks.services import event_emit

from .models import AccrualStatus, EntryKind, RebateAccrual, RebateEntry
from .quarters import Quarter
from .selectors import (
    end_of_day,
    ledger_lines,
    metric_ids,
    quarter_sums,
    rebate_rates_in_force,
    tiers_held_at_end,
)

CENT = Decimal("0.01")


class AccrualRefused(Exception):
    pass


def rebate_amount(base: Decimal, rate: Decimal, cap: Decimal | None) -> Decimal:
    """base × rate / 100, rounded half-up to cents, then limited to the cap."""
    with localcontext() as context:
        context.prec = 60  # every digit of the product is kept before rounding
        amount = (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(amount, cap) if cap is not None else amount


@dataclass
class AccrualResult:
    quarter: Quarter
    accruals: int = 0
    adjustments: int = 0
    unchanged: int = 0
    total: Decimal = Decimal("0.00")  # the change the run wrote


def rebates_accrue(*, tenant: Tenant, quarter: Quarter, by=None) -> AccrualResult:
    """Write what `quarter` earned each partner into the ledger.

    The tier is the one a partner held at the end of the quarter's last day, with the rates of
    the criteria version in force then. The first accrual writes accruals; a later one writes
    only the differences, as adjustments (late metric corrections); nothing changed, nothing
    written. Refused for a quarter that has not ended in the tenant's today.
    """
    today = tenant.local_today()
    if quarter.last_day >= today:
        raise AccrualRefused(
            f"{quarter} has not ended (today is {today:%Y-%m-%d} in {tenant.name}); a quarter "
            "is accrued once it is over."
        )
    result = AccrualResult(quarter)
    with transaction.atomic():
        lock_ledger(tenant)
        tiers = tiers_held_at_end(quarter.last_day)
        rates = rebate_rates_in_force(
            program_ids={tier.program_id for held in tiers.values() for tier in held},
            before=end_of_day(quarter.last_day, tenant.zone),
        )
        wanted = _amounts_earned(tiers, rates, quarter)
        lines = ledger_lines(quarter=quarter)
        entries = []
        for key in sorted(wanted.keys() | lines.keys()):
            tier_id, base, rate, amount = wanted.get(key, (None, None, None, Decimal("0.00")))
            line = lines.get(key)
            if line is None:
                kind = EntryKind.ACCRUAL
            elif amount != line.accrued:
                kind, amount = EntryKind.ADJUSTMENT, amount - line.accrued
            else:
                result.unchanged += 1
                continue
            partner_id, metric_id = key
            entries.append(
                RebateEntry(
                    tenant=tenant,
                    partner_id=partner_id,
                    quarter=str(quarter),
                    metric_id=metric_id,
                    tier_id=tier_id if tier_id is not None else (line.tier_id if line else None),
                    kind=kind,
                    base=base if base is not None else Decimal(0),
                    rate=rate if rate is not None else Decimal(0),
                    amount=amount,
                    created_by=by,
                )
            )
            result.total += amount
            if kind == EntryKind.ACCRUAL:
                result.accruals += 1
            else:
                result.adjustments += 1
        RebateEntry.objects.bulk_create(entries, batch_size=5_000)
        event_emit(
            tenant=tenant,
            type=EventType.REBATES_ACCRUED,
            data={
                "quarter": str(quarter),
                "accruals": result.accruals,
                "adjustments": result.adjustments,
                "unchanged": result.unchanged,
                "total": f"{result.total:.2f}",
                "currency": tenant.currency,
            },
        )
    return result


def _amounts_earned(tiers, rates, quarter) -> dict[tuple[int, int], tuple]:
    """{(partner id, metric id): (tier id, base, rate, amount)} for every rebate earned. A
    partner in several programs earns each metric's rebate once, at the tier (of any of its
    programs) that pays the most for it: the same sales are never paid twice."""
    keys = {rate.metric for tier_rates in rates.values() for rate in tier_rates}
    ids = metric_ids(keys)
    sums = quarter_sums(quarter=quarter, metric_keys=keys)
    earned: dict[tuple[int, int], tuple] = {}
    for partner_id, held in tiers.items():
        for tier in held:
            for rate in rates.get((tier.program_id, tier.key), []):
                if rate.metric not in ids:
                    continue
                base = sums.get((partner_id, rate.metric), Decimal(0))
                amount = rebate_amount(base, rate.rate, rate.cap)
                key = (partner_id, ids[rate.metric])
                if key not in earned or amount > earned[key][3]:
                    earned[key] = (tier.pk, base, rate.rate, amount)
    return earned


def lock_ledger(tenant: Tenant) -> None:
    lock_until_commit(LockFor.LEDGER, tenant.pk)


@dataclass
class PayoutResult:
    payouts: int = 0
    total: Decimal = Decimal("0.00")


def rebates_mark_paid(
    *, tenant: Tenant, quarter: Quarter, partner_ids: set[int] | None = None, by=None
) -> PayoutResult:
    """Record payouts of what each partner is owed for `quarter` (all, or the ones named).
    Over-paid lines (an adjustment down after payment) get no payout: they show as over-paid."""
    result = PayoutResult()
    with transaction.atomic():
        lock_ledger(tenant)
        entries = []
        for (partner_id, metric_id), line in sorted(ledger_lines(quarter=quarter).items()):
            if partner_ids is not None and partner_id not in partner_ids:
                continue
            if line.owed <= 0:
                continue
            entries.append(
                RebateEntry(
                    tenant=tenant,
                    partner_id=partner_id,
                    quarter=str(quarter),
                    metric_id=metric_id,
                    tier_id=line.tier_id,
                    kind=EntryKind.PAYOUT,
                    amount=line.owed,
                    created_by=by,
                )
            )
            result.payouts += 1
            result.total += line.owed
        RebateEntry.objects.bulk_create(entries)
    return result


# --- accrual as a job (button, nightly) --------------------------------------------------------


def accrual_queue(*, tenant: Tenant, quarter: Quarter, started_by=None) -> RebateAccrual:
    """Record an accrual and hand it to a worker; QueueUnavailable (and no record) when the
    queue cannot take it."""
    from .tasks import run_rebate_accrual

    accrual = RebateAccrual.objects.create(
        tenant=tenant, quarter=str(quarter), started_by=started_by
    )

    def undo() -> None:
        RebateAccrual.objects.filter(pk=accrual.pk).delete()

    enqueue_on_commit(run_rebate_accrual, undo=undo, tenant_id=tenant.pk, accrual_id=accrual.pk)
    return accrual


def accrual_run(*, accrual: RebateAccrual) -> RebateAccrual:
    """Claim the accrual job, accrue, and record the outcome in the ledger's own transaction
    (partnerhub.jobs.job_run)."""

    def work() -> dict:
        result = rebates_accrue(
            tenant=accrual.tenant, quarter=Quarter.parse(accrual.quarter), by=accrual.started_by
        )
        summary = {
            "accruals": result.accruals,
            "adjustments": result.adjustments,
            "unchanged": result.unchanged,
            "total": f"{result.total:.2f}",
        }
        return {"status": AccrualStatus.DONE, "summary": summary}

    job_run(
        accrual,
        work=work,
        refused=AccrualRefused,
        on_refused=lambda refused: {"status": AccrualStatus.REFUSED, "message": str(refused)},
    )
    return accrual
