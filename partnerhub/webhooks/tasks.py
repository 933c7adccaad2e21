from django_scopes import scope

from partnerhub.celery import app
from partnerhub.tenancy.models import Tenant

from .services import deliveries_claim, delivery_attempt

BATCHES_PER_RUN = 40  # of a few deliveries each: see deliveries_claim


@app.task
def deliver_due_webhooks() -> int:
    """Send what is due (asked for after each change that wrote events, and every minute by
    beat for the retries). Each delivery is sent inside its tenant's scope."""
    sent = 0
    tenants: dict[int, Tenant] = {}
    for _ in range(BATCHES_PER_RUN):
        claimed = deliveries_claim()
        if not claimed:
            break
        for delivery_id, tenant_id in claimed:
            tenant = tenants.get(tenant_id) or tenants.setdefault(
                tenant_id, Tenant.objects.get(pk=tenant_id)
            )
            with scope(tenant=tenant):
                delivery_attempt(delivery_id=delivery_id)
            sent += 1
    return sent
