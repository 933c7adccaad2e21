"""Rebates as a ledger: entries are only ever appended (a database trigger refuses the rest)."""

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
    ALLOCATION = "allocation", "Allocation"


class FundEntry(TenantOwnedModel):
    """One line of a partner's market development funds ledger (append-only, like rebates).

    Each quarter's allocation is the quarterly MDF of the tier the partner held on the
    quarter's first day; unused funds expire at the end of the following quarter. Requests,
    approvals and claims will be entries of their own.
    """

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    quarter = models.CharField(max_length=7)  # the quarter the funds were allocated for
    tier = models.ForeignKey(
        "tiers.Tier", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=FundEntryKind)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["quarter", "partner", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "quarter"],
                condition=models.Q(kind="allocation"),
                name="fund_allocation_once_per_quarter",
            )
        ]

    def __str__(self):
        return f"{self.quarter} {self.kind} {self.amount}"
