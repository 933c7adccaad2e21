"""Market development funds: allocating them by tier, and every step of a request for them.

Each step runs in one transaction that first locks the partner's row, so steps on one
partner's funds happen one after the other: two requests at the same moment see each
other's reservation and can never together overdraw the balance. Each step checks the
request's status against incentives.fund_flow, writes its ledger entries, and tells the
other side (an in-app notice and an e-mail).
"""

import datetime
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from partnerhub.tenancy.models import Membership, Role, Tenant
from partnerhub.webhooks.models import EventType
from partnerhub.webhooks.services import event_emit
from partners.models import Partner
from tiers.notices import Recipient, notices_send

from .fund_flow import STEP_SIDE, Part, Side, Step, StepRefused, draw, next_status, remainder
from .fund_selectors import expired_leftovers, request_parts, usable_parts
from .models import (
    ActivityType,
    ClaimDocument,
    ClaimOutcome,
    FundClaim,
    FundEntry,
    FundEntryKind,
    FundRequest,
)
from .money import money
from .quarters import Quarter
from .selectors import end_of_day, tiers_held_at_end, tiers_in_force
from .services import lock_ledger

Kind = FundEntryKind
MAX_AMOUNT = Decimal("1000000000")
PROOF_EXTENSIONS = (".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".csv", ".txt",
                    ".xlsx", ".docx", ".pptx")  # fmt: skip


class AllocationRefused(Exception):
    pass


class FundsRefused(StepRefused):
    """An amount, a date or a file that cannot be taken; the message names it."""


# --- allocation and expiry ---------------------------------------------------------------------


def _quarterly_mdf(in_force: dict, tier) -> Decimal:
    mdf = (in_force.get((tier.program_id, tier.key)) or {}).get("mdf")
    return Decimal(mdf["quarterly"]) if mdf else Decimal(0)


@dataclass
class AllocationResult:
    quarter: Quarter
    allocated: int = 0
    total: Decimal = Decimal("0.00")
    expired: int = 0


def mdf_allocate(*, tenant: Tenant, quarter: Quarter, by=None) -> AllocationResult:
    """Give each partner the quarterly MDF of the tier it held on the quarter's first day (its
    latest history entry dated on or before it, with the criteria version in force that day),
    and write off what expired. Again: nothing new (one allocation per partner and quarter,
    which the database enforces)."""
    today = tenant.local_today()
    if quarter.first_day > today:
        raise AllocationRefused(
            f"{quarter} has not started (today is {today:%Y-%m-%d} in {tenant.name})."
        )
    result = AllocationResult(quarter)
    with transaction.atomic():
        lock_ledger(tenant)
        tiers = tiers_held_at_end(quarter.first_day)
        in_force = tiers_in_force(
            program_ids={tier.program_id for held in tiers.values() for tier in held},
            before=end_of_day(quarter.first_day, tenant.zone),
        )
        done = set(
            FundEntry.objects.filter(quarter=str(quarter), kind=Kind.ALLOCATION).values_list(
                "partner_id", flat=True
            )
        )
        entries = []
        for partner_id, held in sorted(tiers.items()):
            # In several programs: the funds of the tier that gives the most, once a quarter.
            tier, amount = max(
                ((tier, _quarterly_mdf(in_force, tier)) for tier in held),
                key=lambda pair: pair[1],
            )
            if partner_id in done or amount == 0:
                continue
            entries.append(
                FundEntry(
                    tenant=tenant,
                    partner_id=partner_id,
                    quarter=str(quarter),
                    tier=tier,
                    kind=Kind.ALLOCATION,
                    amount=amount,
                    created_by=by,
                )
            )
            result.allocated += 1
            result.total += amount
        FundEntry.objects.bulk_create(entries, batch_size=5_000)
    result.expired = mdf_expire(tenant=tenant)
    return result


def mdf_expire(*, tenant: Tenant) -> int:
    """Write off what is left of every allocation past the end of the quarter after its own
    (funds held by requests stay with them). Returns the number of expiry entries."""
    today = tenant.local_today()
    with transaction.atomic():
        partner_ids = {partner_id for partner_id, _ in expired_leftovers(today=today)}
        if not partner_ids:
            return 0
        _lock_partners(partner_ids)
        return _expire_leftovers(tenant, today, partner_ids)


def _lock_partners(partner_ids) -> None:
    """Row locks on the partners whose funds a step changes, in one order (no deadlocks).
    NO KEY: rows that merely refer to a partner (metric values, history) are not held up."""
    list(
        Partner.objects.filter(pk__in=partner_ids)
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", flat=True)
    )


def _expire_leftovers(tenant: Tenant, today: datetime.date, partner_ids, by=None) -> int:
    entries = [
        FundEntry(
            tenant=tenant,
            partner_id=partner_id,
            quarter=part.quarter,
            tier_id=part.tier_id,
            kind=Kind.EXPIRY,
            amount=part.amount,
            created_by=by,
        )
        for partner_id, part in expired_leftovers(today=today, partner_ids=partner_ids)
    ]
    FundEntry.objects.bulk_create(entries, batch_size=5_000)
    return len(entries)


# --- a request, step by step -------------------------------------------------------------------


def fund_request_submit(
    *,
    membership: Membership,
    title: str,
    activity_type: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    amount: Decimal,
    description: str = "",
) -> FundRequest:
    """A partner user asks for funds for an activity; the amount is reserved at once, from the
    allocation that expires first. FundsRefused when it is more than the balance available."""
    partner_id = membership.partner_id
    if not membership.is_partner_user or partner_id is None:
        raise StepRefused("Funds are requested by the partner's own users.")
    tenant = membership.tenant
    today = tenant.local_today()
    _check_amount(amount, "The amount")
    if not title.strip():
        raise FundsRefused("Give the activity a title.")
    if activity_type not in ActivityType.values:
        raise FundsRefused(
            f"“{activity_type}” is not an activity type; use one of "
            f"{', '.join(ActivityType.values)}."
        )
    if ends_on < starts_on:
        raise FundsRefused("The activity ends before it starts.")
    if ends_on < today:
        raise FundsRefused(
            f"The activity ended on {ends_on:%Y-%m-%d}; funds are requested before an activity "
            "is over."
        )
    with transaction.atomic():
        _lock_partners([partner_id])
        _expire_leftovers(tenant, today, [partner_id])
        parts = usable_parts(partner_id=partner_id, today=today)
        available = sum((part.amount for part in parts), Decimal("0.00"))
        if amount > available:
            raise FundsRefused(
                f"{money(amount, tenant.currency)} is more than the "
                f"{money(available, tenant.currency)} available."
            )
        fund_request = FundRequest.objects.create(
            tenant=tenant,
            partner_id=partner_id,
            title=title.strip(),
            activity_type=activity_type,
            starts_on=starts_on,
            ends_on=ends_on,
            description=description.strip(),
            amount_requested=amount,
            requested_by=membership.user,
        )
        entries = _write(fund_request, Kind.RESERVATION, draw(parts, amount), membership.user)
        _tell(
            fund_request,
            Side.VENDOR,
            f"{fund_request.partner.name} requests {money(amount, tenant.currency)} for "
            f"“{fund_request.title}”.",
            entries,
            by=membership,
        )
    return fund_request


def fund_request_approve(
    *, fund_request: FundRequest, membership: Membership, amount: Decimal, note: str = ""
) -> FundRequest:
    """Approve the requested amount or less; the reservation becomes approved funds and any
    difference returns to the balance."""
    with _step(fund_request, Step.APPROVE, membership) as current:
        _check_amount(amount, "The approved amount")
        if amount > current.amount_requested:
            raise FundsRefused(
                f"{money(amount, current.tenant.currency)} is more than the "
                f"{money(current.amount_requested, current.tenant.currency)} requested."
            )
        if amount < current.amount_requested and not note.strip():
            raise FundsRefused("Say why less than the requested amount is approved.")
        reserved = request_parts(fund_request=current, kind=Kind.RESERVATION)
        entries = _write(current, Kind.RELEASE, reserved, membership.user)
        entries += _write(current, Kind.APPROVAL, draw(reserved, amount), membership.user)
        current.amount_approved = amount
        _decided(current, membership, note)
        _decision_event(current, EventType.MDF_REQUEST_DECIDED, "approved", note)
        words = money(amount, current.tenant.currency)
        _tell(current, Side.PARTNER, f"“{current.title}” is approved: {words}.", entries)
    return current


def fund_request_reject(
    *, fund_request: FundRequest, membership: Membership, reason: str
) -> FundRequest:
    with _step(fund_request, Step.REJECT, membership) as current:
        if not reason.strip():
            raise FundsRefused("Give the partner a reason for the rejection.")
        reserved = request_parts(fund_request=current, kind=Kind.RESERVATION)
        entries = _write(current, Kind.RELEASE, reserved, membership.user)
        _decided(current, membership, reason)
        _decision_event(current, EventType.MDF_REQUEST_DECIDED, "rejected", reason)
        _tell(current, Side.PARTNER, f"“{current.title}” is rejected: {reason.strip()}", entries)
    return current


def fund_request_withdraw(*, fund_request: FundRequest, membership: Membership) -> FundRequest:
    """The partner withdraws a request not yet paid; what it held returns to the balance."""
    with _step(fund_request, Step.WITHDRAW, membership) as current:
        if current.amount_approved is None:
            held = request_parts(fund_request=current, kind=Kind.RESERVATION)
            entries = _write(current, Kind.RELEASE, held, membership.user)
        else:
            held = request_parts(fund_request=current, kind=Kind.APPROVAL)
            entries = _write(current, Kind.UNSPENT, held, membership.user)
        _tell(current, Side.VENDOR, f"“{current.title}” was withdrawn.", entries, by=membership)
    return current


def fund_claim_file(
    *,
    fund_request: FundRequest,
    membership: Membership,
    actual_cost: Decimal,
    files: list,
    note: str = "",
) -> FundClaim:
    """After the activity, the partner claims its actual cost (paid up to the approved amount)
    with proof of performance. The files are kept only if the claim is."""
    _check_amount(actual_cost, "The actual cost")
    _check_files(files)
    stored = [
        default_storage.save(
            f"fund-claims/{fund_request.tenant_id}/{uuid.uuid4().hex}"
            f"{PurePath(upload.name).suffix.lower()}",
            upload,
        )
        for upload in files
    ]
    try:
        with _step(fund_request, Step.FILE_CLAIM, membership) as current:
            if current.tenant.local_today() < current.ends_on:
                raise FundsRefused(
                    f"The activity ends on {current.ends_on:%Y-%m-%d}; claim once it is over."
                )
            claimed = min(actual_cost, current.amount_approved)
            claim = FundClaim.objects.create(
                tenant=current.tenant,
                request=current,
                actual_cost=actual_cost,
                amount_claimed=claimed,
                note=note.strip(),
                filed_by=membership.user,
            )
            ClaimDocument.objects.bulk_create(
                ClaimDocument(
                    tenant=current.tenant,
                    claim=claim,
                    file_name=PurePath(upload.name).name[:255],
                    stored_file=path,
                    size_bytes=upload.size,
                    content_type=getattr(upload, "content_type", "") or "",
                )
                for upload, path in zip(files, stored, strict=True)
            )
            approved = request_parts(fund_request=current, kind=Kind.APPROVAL)
            entries = _write(current, Kind.CLAIM, draw(approved, claimed), membership.user)
            currency = current.tenant.currency
            _tell(
                current,
                Side.VENDOR,
                f"{current.partner.name} claims {money(claimed, currency)} for "
                f"“{current.title}” (actual cost {money(actual_cost, currency)}).",
                entries,
                by=membership,
            )
    except BaseException:
        for path in stored:
            default_storage.delete(path)
        raise
    return claim


def fund_claim_approve(
    *, fund_request: FundRequest, membership: Membership, amount: Decimal, note: str = ""
) -> FundRequest:
    """Approve the claim for up to what it claims (never more than the approved amount); the
    amount is paid out and the rest of the approved funds returns to the balance."""
    with _step(fund_request, Step.APPROVE_CLAIM, membership) as current:
        claim = current.claims.order_by("pk").last()
        currency = current.tenant.currency
        _check_amount(amount, "The amount paid")
        if amount > claim.amount_claimed:
            raise FundsRefused(
                f"{money(amount, currency)} is more than the "
                f"{money(claim.amount_claimed, currency)} claimed (the actual cost, up to the "
                "approved amount)."
            )
        approved = request_parts(fund_request=current, kind=Kind.APPROVAL)
        paid = draw(approved, amount)
        entries = _write(current, Kind.PAYOUT, paid, membership.user)
        entries += _write(current, Kind.UNSPENT, remainder(approved, paid), membership.user)
        _claim_decided(claim, ClaimOutcome.APPROVED, membership, note, amount)
        current.amount_paid = amount
        _decision_event(current, EventType.MDF_CLAIM_DECIDED, "paid", note)
        _tell(
            current,
            Side.PARTNER,
            f"Your claim for “{current.title}” is approved: {money(amount, currency)} will be "
            "paid.",
            entries,
        )
    return current


def fund_claim_send_back(
    *, fund_request: FundRequest, membership: Membership, reason: str
) -> FundRequest:
    """Send the claim back with what is missing; the approved funds stay held for a new claim."""
    with _step(fund_request, Step.SEND_BACK_CLAIM, membership) as current:
        if not reason.strip():
            raise FundsRefused("Say what the claim is missing.")
        claim = current.claims.order_by("pk").last()
        approved = request_parts(fund_request=current, kind=Kind.APPROVAL)
        claimed = draw(approved, claim.amount_claimed)
        entries = _write(current, Kind.CLAIM_SENT_BACK, claimed, membership.user)
        _claim_decided(claim, ClaimOutcome.SENT_BACK, membership, reason)
        _decision_event(current, EventType.MDF_CLAIM_DECIDED, "sent_back", reason)
        _tell(
            current,
            Side.PARTNER,
            f"Your claim for “{current.title}” was sent back: {reason.strip()}",
            entries,
        )
    return current


def fund_request_take_step(
    *,
    fund_request: FundRequest,
    membership: Membership,
    step: Step,
    amount: Decimal | None = None,
    note: str = "",
) -> FundRequest:
    """One decision or withdrawal by its name, as the pages and the API take them; `note` is
    the reason where the step needs one. A claim is filed with its proof (fund_claim_file)."""
    if step in (Step.APPROVE, Step.APPROVE_CLAIM) and amount is None:
        raise FundsRefused("Give the amount approved.")
    if step == Step.APPROVE and amount is not None:
        return fund_request_approve(
            fund_request=fund_request, membership=membership, amount=amount, note=note
        )
    if step == Step.REJECT:
        return fund_request_reject(fund_request=fund_request, membership=membership, reason=note)
    if step == Step.WITHDRAW:
        return fund_request_withdraw(fund_request=fund_request, membership=membership)
    if step == Step.APPROVE_CLAIM and amount is not None:
        return fund_claim_approve(
            fund_request=fund_request, membership=membership, amount=amount, note=note
        )
    if step == Step.SEND_BACK_CLAIM:
        return fund_claim_send_back(fund_request=fund_request, membership=membership, reason=note)
    raise StepRefused("A claim is filed with its proof of performance.")


@contextmanager
def _step(fund_request: FundRequest, step: Step, membership: Membership):
    """One step on a request: lock the partner's funds, re-read the request, check the person
    and the status; after the step's own writes, save the new status and write off what
    expired. All in one transaction."""
    with transaction.atomic():
        _lock_partners([fund_request.partner_id])
        current = FundRequest.objects.select_related("partner", "tenant").get(pk=fund_request.pk)
        _check_side(step, membership, current)
        status = next_status(current.status, step)
        today = current.tenant.local_today()
        yield current
        current.status = status
        current.save()
        _expire_leftovers(current.tenant, today, [current.partner_id])
    fund_request.refresh_from_db()


def _check_side(step: Step, membership: Membership, fund_request: FundRequest) -> None:
    if STEP_SIDE[step] == Side.PARTNER:
        if membership.partner_id != fund_request.partner_id:
            raise StepRefused("Only the partner's own users can take this step.")
    elif not membership.works_with_partners:
        raise StepRefused("Only the program's managers and admins decide on requests and claims.")


def _check_amount(amount, what: str) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise FundsRefused(f"{what} must be a number such as 2500.00.")
    if amount <= 0:
        raise FundsRefused(f"{what} must be more than 0.")
    if amount != amount.quantize(Decimal("0.01")):
        raise FundsRefused(f"{what} has more than two decimals: {amount}.")
    if amount >= MAX_AMOUNT:
        raise FundsRefused(f"{what} is too large: {amount}.")


def _check_files(files: list) -> None:
    if not files:
        raise FundsRefused("Attach proof of performance: invoices, photos, reports.")
    if len(files) > settings.MDF_PROOF_MAX_FILES:
        raise FundsRefused(f"Attach at most {settings.MDF_PROOF_MAX_FILES} files to a claim.")
    for upload in files:
        name = PurePath(upload.name).name
        if PurePath(name).suffix.lower() not in PROOF_EXTENSIONS:
            raise FundsRefused(
                f"{name}: proof is accepted as {', '.join(e[1:] for e in PROOF_EXTENSIONS)}."
            )
        if upload.size > settings.MDF_PROOF_MAX_BYTES:
            raise FundsRefused(
                f"{name} is {upload.size / 1e6:.1f} MB; files up to "
                f"{settings.MDF_PROOF_MAX_BYTES / 1e6:.0f} MB each are accepted."
            )


def _write(fund_request: FundRequest, kind: str, parts: list[Part], by) -> list[FundEntry]:
    return FundEntry.objects.bulk_create(
        FundEntry(
            tenant_id=fund_request.tenant_id,
            partner_id=fund_request.partner_id,
            quarter=part.quarter,
            tier_id=part.tier_id,
            kind=kind,
            amount=part.amount,
            request=fund_request,
            created_by=by,
        )
        for part in parts
        if part.amount > 0
    )


def _decision_event(fund_request: FundRequest, type: str, outcome: str, note: str) -> None:
    event_emit(
        tenant=fund_request.tenant_id,
        type=type,
        data={
            "request_id": fund_request.pk,
            "partner_ref": fund_request.partner.ref,
            "title": fund_request.title,
            "outcome": outcome,
            "amount_requested": fund_request.amount_requested,
            "amount_approved": fund_request.amount_approved,
            "amount_paid": fund_request.amount_paid,
            "currency": fund_request.tenant.currency,
            "note": note.strip(),
        },
    )


def _decided(fund_request: FundRequest, membership: Membership, note: str) -> None:
    fund_request.decision_note = note.strip()
    fund_request.decided_by = membership.user
    fund_request.decided_at = timezone.now()


def _claim_decided(claim, outcome, membership, note, amount=None) -> None:
    claim.outcome = outcome
    claim.decision_note = note.strip()
    claim.decided_by = membership.user
    claim.decided_at = timezone.now()
    claim.amount_paid = amount
    claim.save()


def _tell(
    fund_request: FundRequest, side: Side, text: str, entries: list[FundEntry], by=None
) -> None:
    """An in-app notice for the other side, and an e-mail once the step has committed."""
    if side == Side.PARTNER:
        recipients = Membership.objects.filter(
            role=Role.PARTNER, partner_id=fund_request.partner_id
        )
    elif fund_request.partner.account_manager_id:
        recipients = Membership.objects.filter(pk=fund_request.partner.account_manager_id)
    else:
        recipients = Membership.objects.filter(role__in=[Role.ADMIN, Role.MANAGER])
    if by is not None:
        recipients = recipients.exclude(user_id=by.user_id)
    link = reverse(
        "fund_request_detail",
        kwargs={"tenant_slug": fund_request.tenant.slug, "request_pk": fund_request.pk},
    )
    notices_send(
        tenant_id=fund_request.tenant_id,
        event=f"fund-request:{fund_request.pk}:{entries[0].pk if entries else 'step'}",
        text=text,
        link=link,
        recipients=[
            Recipient(user_id)
            for user_id in recipients.values_list("user_id", flat=True).distinct()
        ],
    )
