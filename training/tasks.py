from partnerhub.celery import app
from partnerhub.tenancy.tasks import TenantTask
from partnerhub.tenancy.unscoped import tenant_ids

from .services import expiry_reminders_send


@app.task
def send_expiry_reminders_everywhere() -> None:
    """Daily (beat): one task per tenant, each on the tenant's own date."""
    for tenant_id in tenant_ids():
        send_expiry_reminders.delay(tenant_id=tenant_id)


@app.task(base=TenantTask)
def send_expiry_reminders(*, tenant) -> int:
    return expiry_reminders_send(tenant=tenant, today=tenant.local_today())
