from django.core.validators import RegexValidator
from django.db import models

from partnerhub.tenancy.models import TenantOwnedModel

partner_type_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*$",
    "Use a short key of lowercase letters, digits, - and _ (for example reseller or msp).",
)


class PartnerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class Partner(TenantOwnedModel):
    ref = models.CharField(
        "reference", max_length=64, help_text="The program's own id for this partner."
    )
    name = models.CharField(max_length=200)
    # Its tracks: one placement in each program it belongs to (written by tiers.tracks).
    programs = models.ManyToManyField(
        "tiers.Program", through="tiers.Placement", related_name="partners", blank=True
    )
    type = models.CharField(max_length=32, validators=[partner_type_validator])
    region = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=PartnerStatus, default=PartnerStatus.ACTIVE)
    account_manager = models.ForeignKey(
        "tenancy.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_partners",
        limit_choices_to={"role": "manager"},
    )
    joined_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ref"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "ref"], name="partner_ref_unique_per_tenant"),
        ]
        # One per sort the partner list offers, ending with the unique ref: a keyset page
        # is then an index range scan, however deep.
        indexes = [
            models.Index(fields=["tenant", "name", "ref"], name="partner_by_name"),
            models.Index(fields=["tenant", "type", "ref"], name="partner_by_type"),
            models.Index(fields=["tenant", "region", "ref"], name="partner_by_region"),
            models.Index(fields=["tenant", "status", "ref"], name="partner_by_status"),
            models.Index(fields=["tenant", "joined_on", "ref"], name="partner_by_joined"),
        ]

    def __str__(self):
        return f"{self.name} ({self.ref})"
