"""A program's governance: demotions that wait for a manager's decision, and the runs that
wait for closed months.

With `demotion_approval`, the run leaves a due demotion (grace over, review date reached) in
the managers' queue instead of applying it: the partner stays at its tier, at risk. A manager
approves it (it takes effect that day, the history dated then, and only then is the partner
told) or holds it (an override at the current tier until a date, with the reason). A partner
that qualifies again before a decision leaves the queue on its own.
"""

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from partnerhub.tenancy.models import Membership, Role
from partnerhub.tenancy.services import audit_record
from partners.models import Partner

from .engine import DEMOTION
from .models import (
    ChangeReason,
    PendingDemotion,
    PendingStatus,
    Placement,
    PlacementChange,
    Program,
)
from .notices import Recipient, notices_send
from .services import placement_changes_announce, placement_override


class DecisionRefused(ValueError):
    """The decision cannot be taken (already decided, a hold without an end or a reason)."""


def pending_demotions_sync(program: Program, as_of: datetime.date, awaiting: dict, tier_by_key):
    """Within the run: queue each due demotion not queued yet (or update what it would move to),
    and withdraw those whose partner no longer falls due."""
    queued = {
        pending.partner_id: pending
        for pending in PendingDemotion.objects.select_for_update().filter(
            program=program, status=PendingStatus.PENDING
        )
    }
    fresh, changed = [], []
    for partner_id, (standing, move) in awaiting.items():
        to_tier = tier_by_key.get(move.standing.tier)
        reason = ChangeReason.DEMOTION if move.reason == DEMOTION else ChangeReason.GRACE_EXPIRY
        pending = queued.pop(partner_id, None)
        if pending is None:
            fresh.append(
                PendingDemotion(
                    tenant_id=program.tenant_id,
                    partner_id=partner_id,
                    program=program,
                    from_tier=tier_by_key[standing.tier],
                    to_tier=to_tier,
                    reason=reason,
                    due_on=as_of,
                    seen_on=as_of,
                )
            )
        else:
            pending.to_tier, pending.reason, pending.seen_on = to_tier, reason, as_of
            changed.append(pending)
    PendingDemotion.objects.bulk_create(fresh)
    _tell_managers(program, fresh)
    PendingDemotion.objects.bulk_update(changed, ["to_tier", "reason", "seen_on"])
    PendingDemotion.objects.filter(pk__in=[p.pk for p in queued.values()]).update(
        status=PendingStatus.WITHDRAWN, decided_on=as_of, decided_at=timezone.now()
    )


def _tell_managers(program: Program, fresh: list[PendingDemotion]) -> None:
    """A notice (and after commit a mail) for each demotion that joins the queue: to the
    partner's account manager, or to every manager when it has none."""
    if not fresh:
        return
    partners = Partner.objects.in_bulk([pending.partner_id for pending in fresh])
    managers = list(Membership.objects.filter(role=Role.MANAGER).values_list("pk", "user_id"))
    user_of = dict(managers)
    link = reverse("demotion_queue", kwargs={"tenant_slug": program.tenant.slug})
    for pending in fresh:
        partner = partners[pending.partner_id]
        wanted = (
            [user_of[partner.account_manager_id]] if partner.account_manager_id in user_of else []
        )
        to = pending.to_tier.name if pending.to_tier else "no tier"
        notices_send(
            tenant_id=program.tenant_id,
            event=f"demotion-pending:{pending.pk}",
            text=f"{partner.name}: the move from {pending.from_tier.name} to {to} waits for "
            "your decision.",
            link=link,
            recipients=[Recipient(user_id) for user_id in wanted or user_of.values()],
        )


def _pending(pending_id: int) -> PendingDemotion:
    pending = (
        PendingDemotion.objects.select_for_update(of=("self",))
        .select_related("partner", "program", "from_tier", "to_tier")
        .get(pk=pending_id)
    )
    if pending.status != PendingStatus.PENDING:
        raise DecisionRefused(
            f"This demotion was already decided ({pending.get_status_display().lower()})."
        )
    return pending


@transaction.atomic
def demotion_approve(*, pending_id: int, by, today: datetime.date) -> PendingDemotion:
    """The demotion takes effect today: the tier moves, the history is dated today, and the
    partner and its manager are told."""
    pending = _pending(pending_id)
    placement = (
        Placement.objects.select_for_update()
        .filter(partner=pending.partner, program=pending.program)
        .first()
    )
    if placement is None:
        raise DecisionRefused(f"{pending.partner.name} is no longer in {pending.program.name}.")
    if placement.tier_id != pending.from_tier_id:
        raise DecisionRefused(
            f"{pending.partner.name} is no longer at {pending.from_tier.name}; nothing to approve."
        )
    program = pending.program
    placement.tier, placement.at_risk_since = pending.to_tier, None
    placement.save(update_fields=["tier", "at_risk_since"])
    entry = PlacementChange.objects.create(
        tenant_id=program.tenant_id,
        partner=pending.partner,
        program=program,
        from_tier=pending.from_tier,
        to_tier=pending.to_tier,
        on=today,
        reason=pending.reason,
        version=program.version,
        by=by,
    )
    _decided(pending, PendingStatus.APPROVED, by, today)
    placement_changes_announce(program, today, after=entry.pk - 1, by=by)  # its one entry
    audit_record(
        tenant_id=program.tenant_id,
        actor=by,
        action="demotion.approved",
        subject=f"{pending.partner.name}: {pending.from_tier.name} → "
        f"{pending.to_tier.name if pending.to_tier else 'no tier'}",
        partner=pending.partner.ref,
        program=program.key,
        on=today.isoformat(),
    )
    return pending


@transaction.atomic
def demotion_hold(
    *, pending_id: int, by, until: datetime.date | None, reason: str, today: datetime.date
) -> PendingDemotion:
    """The partner keeps its tier until `until` (an override, with the reason); from then on
    the rules apply again."""
    pending = _pending(pending_id)
    if until is None or until <= today:
        raise DecisionRefused("Hold until a date after today.")
    if not reason.strip():
        raise DecisionRefused("Say why the demotion is held.")
    placement_override(
        partner=pending.partner,
        tier=pending.from_tier,
        until=until,
        reason=reason,
        by=by,
        today=today,
        audited=False,
    )
    pending.hold_until, pending.note = until, reason.strip()
    _decided(pending, PendingStatus.HELD, by, today)
    audit_record(
        tenant_id=pending.tenant_id,
        actor=by,
        action="demotion.held",
        subject=f"{pending.partner.name}: held at {pending.from_tier.name} until {until:%Y-%m-%d}",
        partner=pending.partner.ref,
        program=pending.program.key,
        until=until.isoformat(),
        reason=reason.strip(),
    )
    return pending


def _decided(pending: PendingDemotion, status: str, by, today: datetime.date) -> None:
    pending.status, pending.decided_by = status, by
    pending.decided_on, pending.decided_at = today, timezone.now()
    pending.save()
