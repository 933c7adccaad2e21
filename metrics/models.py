from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from partnerhub.jobs import TrackedJob
from partnerhub.tenancy.models import Tenant, TenantOwnedModel

metric_key_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*$", "Use lowercase letters, digits, - and _ (for example revenue)."
)


class MetricUnit(models.TextChoices):
    CURRENCY = "currency", "Currency"
    COUNT = "count", "Count"
    SCORE = "score", "Score"
    PERCENT = "percent", "Percent"
    TEXT = "text", "Other"


class MetricRollup(models.TextChoices):
    TOTAL = "total", "Total of the months"
    AVERAGE = "average", "Average of the months"
    LATEST = "latest", "Latest month"


class Metric(TenantOwnedModel):
    key = models.CharField(max_length=64, validators=[metric_key_validator])
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=16, choices=MetricUnit, default=MetricUnit.COUNT)
    unit_label = models.CharField(
        max_length=32, blank=True, help_text="Shown after values when the unit is Other."
    )
    description = models.TextField(blank=True)
    month_reading = models.CharField(
        "a month's value is",
        max_length=200,
        blank=True,
        help_text="How to read one month's value, e.g. “revenue booked in the month”.",
    )
    rollup = models.CharField(
        "scorecards summarise it as",
        max_length=16,
        choices=MetricRollup,
        default=MetricRollup.TOTAL,
        help_text="Revenue adds up over months; a score averages; a month-end balance is "
        "read from the latest month.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="metric_key_unique_per_tenant")
        ]

    def __str__(self):
        return self.name


class MetricValue(TenantOwnedModel):
    """One partner's value of one metric for one calendar month (`period` is the 1st).

    The foreign keys carry no database constraint: checking a million deferred constraints at
    commit cost an import more than everything else together. Imports write only rows joined
    to the tenant's partners and metrics, which they lock against deletion while they run, and
    deleting a partner or metric still deletes its values (Django cascades).
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    metric = models.ForeignKey(
        Metric, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    period = models.DateField()
    value = models.DecimalField(max_digits=18, decimal_places=4)

    class Meta:
        constraints = [
            # On PostgreSQL its index also carries the value, for the nightly run (metrics 0004)
            models.UniqueConstraint(
                fields=["partner", "metric", "period"], name="metric_value_one_per_month"
            ),
            models.CheckConstraint(
                condition=models.Q(period__day=1), name="metric_value_period_is_first_of_month"
            ),
        ]
        indexes = [models.Index(fields=["metric", "period"], name="metric_value_by_month")]


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Imported"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


class MetricImport(TenantOwnedModel, TrackedJob):
    """The record of one import: who, when, which file, what it did or why it was refused."""

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=16, default="upload")  # upload | command
    file_name = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField()
    stored_file = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=ImportStatus, default=ImportStatus.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_inserted = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    problem_count = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @classmethod
    def failure_fields(cls, reason: str) -> dict:
        return {"problems": [reason], "problem_count": 0}

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.REJECTED, ImportStatus.FAILED)

    @property
    def can_retry(self) -> bool:
        """A failed upload is kept, so it can run again; a refused one needs a new file."""
        return self.status == ImportStatus.FAILED and bool(self.stored_file)


class ClosedMonth(TenantOwnedModel):
    """A month whose data is complete, for every metric: closing a month closes every month
    before it too (data arrives in order), so a program that requires closed months runs once
    the latest month its rules read is closed."""

    month = models.DateField(help_text="The month's 1st.")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=16, help_text="command, api or page")

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "month"], name="closed_month_once")
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} closed"
