"""What market development funds read: balances per allocation from the ledger (one grouped
query for any number of partners), requests to decide, and the report per quarter and tier."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, Sum
from django.http import Http404

from partnerhub.tenancy.models import Membership
from tiers.models import Tier

from .fund_flow import Part
from .models import FundClaim, FundEntry, FundEntryKind, FundRequest, FundRequestStatus
from .quarters import Quarter
from .selectors import tiers_held_now

Kind = FundEntryKind
ZERO = Decimal("0.00")


def expires_on(quarter: str) -> datetime.date:
    """The last day an allocation can be used: the end of the quarter after its own."""
    return Quarter.parse(quarter).next().last_day


@dataclass
class QuarterFunds:
    """One allocation and what became of it, as the ledger holds it."""

    quarter: str
    tier_id: int | None = None
    tier: str = ""
    usable: bool = False  # not expired on the day it was read for
    sums: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))

    @property
    def allocated(self) -> Decimal:
        return self.sums[Kind.ALLOCATION]

    @property
    def requested(self) -> Decimal:
        return self.sums[Kind.RESERVATION]

    @property
    def reserved(self) -> Decimal:
        """Held by requests waiting for a decision."""
        return self.sums[Kind.RESERVATION] - self.sums[Kind.RELEASE]

    @property
    def approved(self) -> Decimal:
        """Approved and not given back (paid or still to be claimed)."""
        return self.sums[Kind.APPROVAL] - self.sums[Kind.UNSPENT]

    @property
    def claimed(self) -> Decimal:
        return self.sums[Kind.CLAIM] - self.sums[Kind.CLAIM_SENT_BACK]

    @property
    def paid(self) -> Decimal:
        return self.sums[Kind.PAYOUT]

    @property
    def expired(self) -> Decimal:
        return self.sums[Kind.EXPIRY]

    @property
    def available(self) -> Decimal:
        return self.allocated - self.reserved - self.approved - self.expired

    @property
    def expires_on(self) -> datetime.date:
        return expires_on(self.quarter)

    def is_expired(self, today: datetime.date) -> bool:
        return today > self.expires_on


def fund_quarters(*, partner_ids: list[int] | set[int]) -> dict[int, list[QuarterFunds]]:
    """{partner id: its allocations, oldest first}, from one grouped query of the ledger (every
    entry carries the tier of the allocation it draws on)."""
    rows = (
        FundEntry.objects.filter(partner_id__in=partner_ids)
        .values_list("partner_id", "quarter", "tier_id", "tier__name", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    lines: dict[tuple[int, str], QuarterFunds] = {}
    for partner_id, quarter, tier_id, tier_name, kind, total in rows:
        line = lines.setdefault((partner_id, quarter), QuarterFunds(quarter))
        line.sums[kind] += total
        if kind == Kind.ALLOCATION:
            line.tier_id, line.tier = tier_id, tier_name or ""
    found: dict[int, list[QuarterFunds]] = defaultdict(list)
    for (partner_id, _), line in sorted(lines.items()):
        found[partner_id].append(line)
    return dict(found)


@dataclass(frozen=True)
class Funds:
    """A partner's funds on a day: the allocations still usable, and all of them."""

    usable: list[QuarterFunds]  # not expired, newest first
    history: list[QuarterFunds]  # every allocation, newest first

    @property
    def available(self) -> Decimal:
        return sum((line.available for line in self.usable), ZERO)

    @property
    def reserved(self) -> Decimal:
        return sum((line.reserved for line in self.history), ZERO)

    @property
    def committed(self) -> Decimal:
        """Approved and not yet paid."""
        return sum((line.approved - line.paid for line in self.history), ZERO)


def mdf_funds(*, partner_id: int, today: datetime.date) -> Funds:
    newest_first = list(reversed(fund_quarters(partner_ids=[partner_id]).get(partner_id, [])))
    for line in newest_first:
        line.usable = not line.is_expired(today)
    return Funds([line for line in newest_first if line.usable], newest_first)


def funds_available(*, partner_ids: set[int], today: datetime.date) -> dict[int, Decimal]:
    """{partner id: what it can still request}, for a page of partners at once."""
    return {
        partner_id: sum((line.available for line in lines if not line.is_expired(today)), ZERO)
        for partner_id, lines in fund_quarters(partner_ids=partner_ids).items()
    }


def usable_parts(*, partner_id: int, today: datetime.date) -> list[Part]:
    """What a new request can draw on, the allocation that expires first first."""
    lines = fund_quarters(partner_ids=[partner_id]).get(partner_id, [])
    return [
        Part(line.quarter, line.tier_id, line.available)
        for line in lines
        if not line.is_expired(today) and line.available > 0
    ]


def request_parts(*, fund_request: FundRequest, kind: str) -> list[Part]:
    """The allocations a request's entries of `kind` drew on, in the order they were written."""
    entries = fund_request.entries.filter(kind=kind).order_by("pk")
    return [
        Part(quarter, tier_id, amount)
        for quarter, tier_id, amount in entries.values_list("quarter", "tier_id", "amount")
    ]


def expired_leftovers(*, today: datetime.date, partner_ids=None) -> list[tuple[int, Part]]:
    """(partner id, part) for every allocation past its end that still shows a balance: what
    the expiry step writes off."""
    query = FundEntry.objects.all()
    if partner_ids is not None:
        query = query.filter(partner_id__in=partner_ids)
    ended = {
        quarter
        for quarter in query.values_list("quarter", flat=True).distinct().order_by()
        if expires_on(quarter) < today
    }
    if not ended:
        return []
    partners = query.filter(quarter__in=ended).values_list("partner_id", flat=True).distinct()
    leftovers = []
    for partner_id, lines in fund_quarters(partner_ids=set(partners)).items():
        for line in lines:
            if line.quarter in ended and line.available > 0:
                leftovers.append((partner_id, Part(line.quarter, line.tier_id, line.available)))
    return leftovers


# --- requests -----------------------------------------------------------------------------------


def _with_claims(query):
    claims = FundClaim.objects.prefetch_related("documents").order_by("filed_at", "pk")
    return query.select_related("partner", "requested_by", "decided_by").prefetch_related(
        Prefetch("claims", queryset=claims)
    )


def fund_request_for_member(*, membership: Membership, request_id: int) -> FundRequest:
    """The request `membership` may see, or 404: partner users see only their partner's."""
    query = _with_claims(FundRequest.objects.filter(pk=request_id))
    if membership.is_partner_user:
        query = query.filter(partner_id=membership.partner_id)
    found = query.first()
    if found is None:
        raise Http404("No such request.")
    return found


def partner_fund_requests(*, partner_id: int) -> list[FundRequest]:
    return list(_with_claims(FundRequest.objects.filter(partner_id=partner_id)))


def request_entries(*, fund_request: FundRequest) -> list[FundEntry]:
    return list(fund_request.entries.select_related("created_by", "tier").order_by("pk"))


AWAITING = (FundRequestStatus.SUBMITTED, FundRequestStatus.CLAIMED)


@dataclass(frozen=True)
class QueueItem:
    """A request waiting for a manager, with what the decision needs at hand."""

    fund_request: FundRequest
    tiers: list[Tier]  # one per program the partner is in
    available: Decimal
    paid_before: Decimal  # paid on the partner's earlier requests
    requests_before: int


def fund_queue(*, today: datetime.date) -> list[QueueItem]:
    """Requests and claims awaiting a decision, oldest first; a fixed number of queries."""
    waiting = list(
        _with_claims(FundRequest.objects.filter(status__in=AWAITING)).order_by("updated_at", "pk")
    )
    partner_ids = {r.partner_id for r in waiting}
    tiers = tiers_held_now(partner_ids)
    available = funds_available(partner_ids=partner_ids, today=today)
    before = (
        FundRequest.objects.filter(partner_id__in=partner_ids)
        .values("partner_id")
        .annotate(
            count=Count("pk"),
            paid=Sum("amount_paid", filter=Q(status=FundRequestStatus.PAID)),
        )
        .order_by()
    )
    history = {row["partner_id"]: row for row in before}
    return [
        QueueItem(
            r,
            tiers.get(r.partner_id, []),
            available.get(r.partner_id, ZERO),
            history[r.partner_id]["paid"] or ZERO,
            history[r.partner_id]["count"] - 1,
        )
        for r in waiting
    ]


# --- the report for admins -------------------------------------------------------------------


@dataclass
class ReportRow:
    quarter: str
    tier: str
    allocated: Decimal = ZERO
    requested: Decimal = ZERO
    approved: Decimal = ZERO
    claimed: Decimal = ZERO
    paid: Decimal = ZERO
    expired: Decimal = ZERO

    def add(self, line: QuarterFunds) -> None:
        self.allocated += line.allocated
        self.requested += line.requested
        self.approved += line.approved
        self.claimed += line.claimed
        self.paid += line.paid
        self.expired += line.expired


REPORT_COLUMNS = ("allocated", "requested", "approved", "claimed", "paid", "expired")


def fund_report() -> list[ReportRow]:
    """Per allocation quarter (newest first) and tier: allocated, requested, approved (net of
    what came back unspent), claimed, paid and expired. One grouped query."""
    rows = (
        FundEntry.objects.values_list("quarter", "tier__name", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    report: dict[tuple[str, str], QuarterFunds] = {}
    for quarter, tier, kind, total in rows:
        line = report.setdefault((quarter, tier or ""), QuarterFunds(quarter, tier=tier or ""))
        line.sums[kind] += total
    result = []
    for (quarter, tier), line in sorted(report.items(), key=lambda item: item[0]):
        row = ReportRow(quarter, tier)
        row.add(line)
        result.append(row)
    result.sort(key=lambda row: row.quarter, reverse=True)
    return result
