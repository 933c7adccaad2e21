"""Rebates and market development funds as ledgers: entries are only ever appended (a
database trigger refuses the rest)."""

from django.conf import settings
from django.db import models

from partnerhub.jobs import TrackedJob
from partnerhub.tenancy.models import TenantOwnedModel


class EntryKind(models.TextChoices):
    ACCRUAL = "accrual", "Accrual"
    ADJUSTMENT = "adjustment", "Adjustment"
    PAYOUT = "payout", "Payout"


class RebateEntry(TenantOwnedModel):
    """One line of a partner's rebate ledger for one quarter and metric.

    An accrual records what the quarter earned the first time it was accrued; an adjustment
    the difference when a later accrual finds another amount (late metric corrections); a
    payout what finance paid. What a partner is owed is the sum of accruals and adjustments
    less the payouts. `base` and `rate` are the figures that accrual or adjustment used.
    """

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    quarter = models.CharField(max_length=7)  # 2026-Q3
    metric = models.ForeignKey("metrics.Metric", on_delete=models.PROTECT, related_name="+")
    tier = models.ForeignKey(
        "tiers.Tier", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=EntryKind)
    base = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["quarter", "partner", "metric", "pk"]
        indexes = [
            models.Index(fields=["tenant", "quarter"], name="rebate_entry_by_quarter"),
            models.Index(fields=["partner", "quarter"], name="rebate_entry_by_partner"),
        ]

    def __str__(self):
        return f"{self.quarter} {self.kind} {self.amount}"


class AccrualStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"


class RebateAccrual(TenantOwnedModel, TrackedJob):
    """One accrual of a quarter (the button, the nightly or the command): a job that ends."""

    quarter = models.CharField(max_length=7)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=AccrualStatus, default=AccrualStatus.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.quarter} accrual ({self.status})"

    @classmethod
    def failure_fields(cls, reason: str) -> dict:
        return {"message": reason}

    @property
    def is_finished(self) -> bool:
        return self.status not in (AccrualStatus.QUEUED, AccrualStatus.RUNNING)


class FundEntryKind(models.TextChoices):
    """Each step of market development funds, as the ledger records it. Amounts are positive;
    BALANCE_SIGN says how each kind moves the allocation's available balance."""

    ALLOCATION = "allocation", "Allocated"
    RESERVATION = "reservation", "Reserved by a request"
    RELEASE = "release", "Reservation released"
    APPROVAL = "approval", "Approved"
    UNSPENT = "unspent", "Approved, not spent"
    CLAIM = "claim", "Claimed"
    CLAIM_SENT_BACK = "claim_sent_back", "Claim sent back"
    PAYOUT = "payout", "Paid"
    EXPIRY = "expiry", "Expired"


# available = allocations − reservations − approved − expired; a claim, a claim sent back and
# a payout only record a step: paid money was approved money already.
BALANCE_SIGN = {
    FundEntryKind.ALLOCATION: 1,
    FundEntryKind.RESERVATION: -1,
    FundEntryKind.RELEASE: 1,
    FundEntryKind.APPROVAL: -1,
    FundEntryKind.UNSPENT: 1,
    FundEntryKind.EXPIRY: -1,
}


class FundEntry(TenantOwnedModel):
    """One line of a partner's market development funds ledger (append-only, like rebates).

    `quarter` is the quarter of the allocation the entry draws on, and `tier` the tier that
    allocation came from, so every amount says which tier's money it is. Each quarter's
    allocation is the quarterly MDF of the tier held on the quarter's first day; what is left
    of it expires at the end of the following quarter.
    """

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    quarter = models.CharField(max_length=7)
    tier = models.ForeignKey(
        "tiers.Tier", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=FundEntryKind)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    request = models.ForeignKey(
        "FundRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["quarter", "partner", "pk"]
        indexes = [models.Index(fields=["partner", "quarter"], name="fund_entry_by_partner")]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "quarter"],
                condition=models.Q(kind="allocation"),
                name="fund_allocation_once_per_quarter",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="fund_entry_positive"),
        ]

    def __str__(self):
        return f"{self.quarter} {self.kind} {self.amount}"

    @property
    def balance_change(self):
        return BALANCE_SIGN.get(self.kind, 0) * self.amount


class ActivityType(models.TextChoices):
    EVENT = "event", "Event"
    DIGITAL_CAMPAIGN = "digital_campaign", "Digital campaign"
    CONTENT = "content", "Content"
    TRADE_SHOW = "trade_show", "Trade show"
    WEBINAR = "webinar", "Webinar"
    OTHER = "other", "Other"


class FundRequestStatus(models.TextChoices):
    SUBMITTED = "submitted", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLAIMED = "claimed", "Claim awaiting approval"
    SENT_BACK = "sent_back", "Claim sent back"
    PAID = "paid", "Paid"


class FundRequest(TenantOwnedModel):
    """A partner's request for funds for one activity, from request to payout.

    Its status moves only along incentives.fund_flow.TRANSITIONS; every step also writes
    ledger entries (`entries`), which hold the money.
    """

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    activity_type = models.CharField(max_length=32, choices=ActivityType)
    starts_on = models.DateField()
    ends_on = models.DateField()
    description = models.TextField(blank=True)
    amount_requested = models.DecimalField(max_digits=14, decimal_places=2)
    amount_approved = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    amount_paid = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=FundRequestStatus, default=FundRequestStatus.SUBMITTED
    )
    decision_note = models.TextField(blank=True)  # why rejected, or approved for less
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "status"], name="fund_request_by_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_requested__gt=0), name="fund_request_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="fund_request_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    @property
    def current_claim(self) -> "FundClaim | None":
        claims = list(self.claims.all())
        return claims[-1] if claims else None


class ClaimOutcome(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    SENT_BACK = "sent_back", "Sent back"
    APPROVED = "approved", "Approved"


class FundClaim(TenantOwnedModel):
    """Proof that an approved activity took place, and what it cost. A claim sent back stays
    on record; the partner files a new one."""

    request = models.ForeignKey(FundRequest, on_delete=models.PROTECT, related_name="claims")
    actual_cost = models.DecimalField(max_digits=14, decimal_places=2)
    amount_claimed = models.DecimalField(max_digits=14, decimal_places=2)  # ≤ approved
    note = models.TextField(blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filed_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=16, choices=ClaimOutcome, default=ClaimOutcome.PENDING)
    amount_paid = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["filed_at", "pk"]

    def __str__(self):
        return f"claim {self.amount_claimed} ({self.outcome})"


class ClaimDocument(TenantOwnedModel):
    """One proof-of-performance file (an invoice, a photo), kept in storage like metric
    uploads and served only to the partner's users and the vendor's staff."""

    claim = models.ForeignKey(FundClaim, on_delete=models.PROTECT, related_name="documents")
    file_name = models.CharField(max_length=255)
    stored_file = models.CharField(max_length=300)
    size_bytes = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.file_name
