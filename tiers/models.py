"""Tier programs: tiers and their rules and benefits, where each partner stands, its history."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce

from partnerhub.jobs import TrackedJob
from partnerhub.tenancy.models import Tenant, TenantOwnedModel
from partners.models import partner_type_validator


class DemotionPolicy(models.TextChoices):
    ANY = "any", "Any day"
    QUARTERLY = "quarterly", "First day of each fiscal quarter"
    YEARLY = "yearly", "First day of the fiscal year"
    ANNIVERSARY = "anniversary", "Each partner's anniversary of joining"


class Program(TenantOwnedModel):
    key = models.CharField(max_length=64, validators=[partner_type_validator])
    name = models.CharField(max_length=200)
    grace_days = models.PositiveIntegerField(
        default=0, help_text="How long a partner keeps its tier after it stops qualifying."
    )
    demotions = models.CharField(
        max_length=16,
        choices=DemotionPolicy,
        default=DemotionPolicy.ANY,
        help_text="When a due demotion may take effect; until then the partner stays, at risk.",
    )
    demotion_approval = models.BooleanField(
        default=False, help_text="A due demotion waits in the managers' queue for a decision."
    )
    require_closed_months = models.BooleanField(
        default=False, help_text="The nightly run waits while a month its rules read is open."
    )
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=0, help_text="The current criteria version.")
    last_evaluated_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="program_key_unique_per_tenant")
        ]

    def __str__(self):
        return self.name


class Tier(TenantOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="tiers")
    key = models.CharField(max_length=64, validators=[partner_type_validator])
    name = models.CharField(max_length=100)
    rank = models.PositiveIntegerField(help_text="0 is the entry tier; higher is better.")
    colour = models.CharField(max_length=7, default="#6b7280")
    rule = models.JSONField(null=True, blank=True, help_text="null: every partner qualifies.")
    # What the tier pays (incentives/ computes it): [{"metric", "rate" (percent), "cap"?}] as
    # decimal text, a rebate per metric per calendar quarter; and MDF allocated each quarter.
    rebates = models.JSONField(default=list, blank=True)
    mdf_quarterly = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["program__name", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="tier_key_unique_per_program"),
            models.UniqueConstraint(
                fields=["program", "rank"], name="tier_rank_unique_per_program"
            ),
        ]

    def __str__(self):
        return self.name

    def is_reached_by(self, tier: "Tier | None") -> bool:
        """Whether a partner holding `tier` has reached this tier of the same program."""
        return tier is not None and tier.program_id == self.program_id and tier.rank >= self.rank


class BenefitKind(models.TextChoices):
    DISCOUNT = "discount", "Discount"
    REBATE = "rebate", "Rebate"
    MDF = "mdf", "Market development funds"
    SUPPORT = "support", "Priority support"
    TRAINING = "training", "Exclusive training"
    MARKETING = "marketing", "Marketing"
    EARLY_ACCESS = "early_access", "Early access"
    OTHER = "other", "Other"


class Benefit(TenantOwnedModel):
    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="benefits")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=BenefitKind, default=BenefitKind.OTHER)
    value = models.CharField(
        max_length=100, blank=True, help_text="e.g. “12 %” or “$10,000 a year”"
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["tier", "position"]

    def __str__(self):
        return self.title


class Placement(TenantOwnedModel):
    """A partner's track in one program: that it belongs there, where it stands now, and why.

    A partner may be in several programs at once; each places it independently. The row is the
    membership too: it exists from the day the partner joins the program until it leaves."""

    partner = models.ForeignKey(  # indexed by placement_once_per_program, which it leads
        "partners.Partner", on_delete=models.CASCADE, related_name="placements", db_index=False
    )
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="placements")
    joined_on = models.DateField(help_text="When the partner joined this program.")
    tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    qualified_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at_risk_since = models.DateField(null=True, blank=True)
    override_tier = models.ForeignKey(  # indexed where set: placement_overridden_to
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    override_until = models.DateField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    override_by = models.ForeignKey(  # indexed where set: placement_overridden_by
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    evaluated_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    explanation = models.JSONField(default=dict, blank=True)
    # The placement before the evaluation of `evaluated_on`, so that running that date again
    # starts from the same place, and undoing it restores it: {"tier": id or None,
    # "at_risk_since", "qualified_tier", "evaluated_on", "version", "explanation"}; empty once
    # that evaluation was undone.
    before_evaluation = models.JSONField(default=dict, blank=True)
    # The standing when the current override was set, which clearing it restores:
    # {"tier": id or None, "at_risk_since": "YYYY-MM-DD" or None}.
    before_override = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "program"], name="placement_once_per_program"
            )
        ]
        # Few placements are overridden: indexing only those keeps a run, which writes every
        # placement, from adding an entry for NULL to two indexes per partner.
        indexes = [
            models.Index(
                fields=["override_tier"],
                condition=models.Q(override_tier__isnull=False),
                name="placement_overridden_to",
            ),
            models.Index(
                fields=["override_by"],
                condition=models.Q(override_by__isnull=False),
                name="placement_overridden_by",
            ),
        ]

    def __str__(self):
        return f"{self.partner}: {self.tier or 'no tier'}"

    def grace_ends_on(self) -> datetime.date | None:
        if self.at_risk_since is None:
            return None
        return self.at_risk_since + datetime.timedelta(days=self.program.grace_days)

    @property
    def override_active(self) -> bool:
        return bool(
            self.override_tier_id
            and self.override_until
            and self.evaluated_on
            and self.evaluated_on < self.override_until
        )


# What a partner with no tier sorts as, so that it comes last whichever way tiers are sorted.
NO_TIER_LAST_DESCENDING = -1
NO_TIER_LAST_ASCENDING = 1_000_000


class PartnerTierOrder(TenantOwnedModel):
    """Each partner's highest tier rank over its programs, beside its ref: the partner list's
    tier sort read from one index, where computing it per partner costs 0.2 s at 50,000.

    Written by database triggers only (migration tiers 0013): a partner's row appears with it,
    follows its ref, and its rank follows every write to a placement's tier or a tier's rank,
    whichever code made it. A narrow table of its own, because rewriting 50,000 partner rows
    and their ten indexes on a first placement costs 1.5 s, and this table 0.3 s.
    """

    partner = models.OneToOneField(
        "partners.Partner",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="tier_sort_key",
    )
    tenant = models.ForeignKey(  # indexed by partner_by_tier, which it leads
        Tenant, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    rank = models.PositiveIntegerField(null=True)
    ref = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(
                F("tenant"),
                Coalesce("rank", Value(NO_TIER_LAST_DESCENDING)).desc(),
                F("ref"),
                name="partner_by_tier",
            ),
            models.Index(
                F("tenant"),
                Coalesce("rank", Value(NO_TIER_LAST_ASCENDING)),
                F("ref"),
                name="partner_by_tier_ascending",
            ),
        ]


class ChangeReason(models.TextChoices):
    PLACED = "placed", "Placed"
    PROMOTION = "promotion", "Promotion"
    DEMOTION = "demotion", "Demotion"
    GRACE_EXPIRY = "grace_expiry", "Grace period ended"
    OVERRIDE = "override", "Override"
    OVERRIDE_CLEARED = "override_cleared", "Override cleared"
    AT_RISK = "at_risk", "At risk"
    UNDONE = "undone", "Run undone"
    LEFT = "left", "Left the program"


class PlacementChange(TenantOwnedModel):
    """A change of tier (or a partner becoming at risk). Written once, never rewritten."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(  # indexed by placement_change_by_day, which it leads
        Program, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    from_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, related_name="+")
    on = models.DateField()
    reason = models.CharField(max_length=16, choices=ChangeReason)
    version = models.PositiveIntegerField()
    takes_effect_on = models.DateField(
        null=True, blank=True, help_text="For at-risk: the grace end."
    )
    by = models.ForeignKey(  # indexed where set: placement_change_by_person
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="Who decided it: an approved demotion, an override. Empty for the run's own.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once, when the run that wrote this entry is undone; the undo itself is a new entry.
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "program", "on", "from_tier", "to_tier", "reason"],
                condition=models.Q(undone_at__isnull=True) & ~models.Q(reason="undone"),
                name="placement_change_once",
                nulls_distinct=False,
            )
        ]
        indexes = [
            # The dashboard's latest movements, newest first: a backward scan that stops at 100.
            models.Index(fields=["program", "on", "id"], name="placement_change_by_day"),
            # Only people's decisions: a run's entries (all but a few) have no author.
            models.Index(
                fields=["by"],
                condition=models.Q(by__isnull=False),
                name="placement_change_by_person",
            ),
        ]


class CriteriaVersion(TenantOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField(help_text="The program in the load_program format.")
    changes = models.JSONField(default=list, help_text="Readable lines: what changed.")
    # False when only benefits, names or colours changed: nobody's placement can move.
    moves_placements = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="criteria_version_once")
        ]


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class RecalculationRun(TenantOwnedModel, TrackedJob):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="runs")
    as_of = models.DateField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=RunStatus, default=RunStatus.QUEUED)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # A program too large for one worker's window is split: each chunk's partner-id range,
    # [first, last], evaluated by a worker of its own (tiers.evaluation). Empty: in one piece.
    chunks = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    @classmethod
    def failure_fields(cls, reason: str) -> dict:
        return {"message": reason}

    @property
    def is_finished(self) -> bool:
        return self.status not in (RunStatus.QUEUED, RunStatus.RUNNING)


class StagedPlacement(TenantOwnedModel):
    """One partner's result in a split run, until the run is applied (tiers.evaluation).

    Plain ids, no foreign keys: the staging table checks nothing and is written by COPY; the
    step that applies the run writes through the real ones. Unlogged on PostgreSQL: after a
    crash it is empty, and a retry evaluates again.
    """

    run = models.ForeignKey(RecalculationRun, on_delete=models.CASCADE, related_name="+")
    chunk = models.PositiveIntegerField()
    placement_id = models.BigIntegerField()
    partner_id = models.BigIntegerField()
    tier_id = models.BigIntegerField(null=True)
    qualified_tier_id = models.BigIntegerField(null=True)
    at_risk_since = models.DateField(null=True)
    explanation = models.JSONField()
    change_reason = models.CharField(max_length=16, null=True)  # noqa: DJ001 - as PlacementChange
    change_from_id = models.BigIntegerField(null=True)
    change_to_id = models.BigIntegerField(null=True)
    takes_effect_on = models.DateField(null=True)
    awaiting_reason = models.CharField(max_length=16, null=True)  # noqa: DJ001
    awaiting_to_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["run", "chunk"], name="staged_by_run_chunk")]


class Notice(TenantOwnedModel):
    """An in-app notice for one person, once per event."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=200)
    text = models.TextField()
    subject = models.CharField(
        max_length=120, blank=True, help_text="The e-mail's subject; empty: the text, cut short."
    )
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "event"], name="notice_once")
        ]


class PendingStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    HELD = "held", "Held"
    WITHDRAWN = "withdrawn", "Withdrawn: the partner qualifies again"


class PendingDemotion(TenantOwnedModel):
    """A due demotion of a program that wants a manager's approval: it takes effect only once
    approved (dated that day), or becomes an override when held."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    from_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.CharField(max_length=16, choices=ChangeReason)
    due_on = models.DateField(help_text="The evaluation that first found it due.")
    seen_on = models.DateField(help_text="The latest evaluation that found it due.")
    status = models.CharField(max_length=16, choices=PendingStatus, default=PendingStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    hold_until = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "program"],
                condition=models.Q(status="pending"),
                name="pending_demotion_once",
            )
        ]
