"""Tier programs. The placement engine, rules, grace and overrides come with the tier issue;
training already needs to know which tier a partner holds, to open tier-gated courses."""

from django.core.validators import MinValueValidator
from django.db import models

from partnerhub.tenancy.models import TenantOwnedModel
from partners.models import partner_type_validator


class Program(TenantOwnedModel):
    key = models.CharField(max_length=64, validators=[partner_type_validator])
    name = models.CharField(max_length=200)
    grace_days = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

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
    rank = models.PositiveIntegerField(
        validators=[MinValueValidator(0)], help_text="0 is the entry tier; higher is better."
    )
    colour = models.CharField(max_length=7, default="#6b7280")

    class Meta:
        ordering = ["program__name", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="tier_key_unique_per_program"),
            models.UniqueConstraint(
                fields=["program", "rank"], name="tier_rank_unique_per_program"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.program.name})" if self.program_id else self.name

    def is_reached_by(self, tier: "Tier | None") -> bool:
        """Whether a partner holding `tier` has reached this tier of the same program."""
        return tier is not None and tier.program_id == self.program_id and tier.rank >= self.rank


class Placement(TenantOwnedModel):
    """The tier a partner holds now."""

    partner = models.OneToOneField(
        "partners.Partner", on_delete=models.CASCADE, related_name="placement"
    )
    tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self):
        return f"{self.partner}: {self.tier or 'no tier'}"
