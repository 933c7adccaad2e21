"""API keys: a tenant's integrations (CRM, LMS, ERP) authenticate with one. Only a hash of
each key is kept; the key itself is shown once, when it is made."""

from django.conf import settings
from django.db import models

from partnerhub.tenancy.models import TenantOwnedModel


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


class ApiKey(TenantOwnedModel):
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)  # shown in lists; finds the key
    key_hash = models.CharField(max_length=64)  # SHA-256 of the whole key, hex
    scope = models.CharField(max_length=8, choices=ApiKeyScope)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self) -> bool:
        return self.scope == ApiKeyScope.WRITE


class IdempotentResponse(TenantOwnedModel):
    """The first answer to a call made with an `Idempotency-Key`: a retry gets it again."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_once")
        ]
