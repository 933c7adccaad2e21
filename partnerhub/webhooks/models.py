"""Webhooks: endpoints a tenant's admins register, the events its changes write (an outbox, in
the change's own transaction) and each event's delivery to each endpoint, with every attempt."""

import uuid

from django.conf import settings
from django.db import models

from partnerhub.tenancy.models import TenantOwnedModel


class EventType(models.TextChoices):
    PLACEMENT_CHANGED = "placement.changed", "A partner changed tier"
    PARTNER_AT_RISK = "partner.at_risk", "A partner is at risk of losing its tier"
    IMPORT_FINISHED = "import.finished", "A metric import finished"
    CERTIFICATION_EXPIRING = "certification.expiring", "A certification expires soon"
    REBATES_ACCRUED = "rebates.accrued", "A quarter's rebates were accrued"
    MDF_REQUEST_DECIDED = "mdf.request.decided", "A fund request was approved or rejected"
    MDF_CLAIM_DECIDED = "mdf.claim.decided", "A fund claim was paid or sent back"


class WebhookEndpoint(TenantOwnedModel):
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)  # event types
    active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100)  # signs deliveries; shown once
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    failing_since = models.DateTimeField(null=True, blank=True)  # first failure since a success
    disabled_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.url


class WebhookEvent(TenantOwnedModel):
    """One event, as receivers get it: `id` lets them deduplicate."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40, choices=EventType)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERING = "delivering", "Delivering"
    DELIVERED = "delivered", "Delivered"
    GAVE_UP = "gave_up", "Gave up"


class WebhookDelivery(TenantOwnedModel):
    """An event on its way to one endpoint. A worker claims it (SKIP LOCKED, with a lease), so
    two workers never send it at once; a worker that dies lets its lease run out."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=16, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    leased_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="one_delivery_per_endpoint")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]


class WebhookAttempt(TenantOwnedModel):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
