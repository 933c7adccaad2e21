import datetime
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (for example Europe/Berlin).")


currency_code_validator = RegexValidator(
    r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code such as EUR or USD."
)


class Tenant(models.Model):
    """A vendor running a partner program. The root of every tenant-owned row."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    currency = models.CharField(max_length=3, default="EUR", validators=[currency_code_validator])
    fiscal_year_start = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="The month (1–12) the fiscal year starts in; the fiscal rule windows follow it.",
    )
    nightly_run_at = models.TimeField(
        default=datetime.time(2, 0), help_text="Local time of the nightly tier recalculation."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_today(self):
        return timezone.localdate(timezone=self.zone)


class TenantOwnedModel(models.Model):
    """Base for every row that belongs to a tenant.

    The default manager only answers inside `django_scopes.scope(tenant=...)`; a query made
    outside a scope raises ScopeError instead of returning every tenant's rows. The request
    middleware and the task base open that scope; `partnerhub.tenancy.unscoped` names the few
    places that may look across tenants.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager(tenant="tenant")

    class Meta:
        abstract = True


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Partner manager"
    PARTNER = "partner", "Partner user"


class Membership(TenantOwnedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role)
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        help_text="The partner a partner user works for.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_one_per_tenant"),
            models.CheckConstraint(
                condition=(
                    models.Q(role="partner", partner__isnull=False)
                    | (~models.Q(role="partner") & models.Q(partner__isnull=True))
                ),
                name="membership_partner_iff_partner_role",
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_partner_user(self) -> bool:
        return self.role == Role.PARTNER

    @property
    def works_with_partners(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(TenantOwnedModel):
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation for {self.email} as {self.get_role_display()}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and not self.is_expired


class AuditEntry(TenantOwnedModel):
    """Who did what, when: one row per decision that changes a program's outcome (a demotion
    approved or held, a month closed). Written once, never rewritten."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40)
    subject = models.CharField(max_length=300, help_text="What it concerns, in words.")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["tenant", "at"], name="audit_by_time")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}: {self.subject}"
