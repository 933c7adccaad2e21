from django.utils import timezone

from partnerhub.celery import app
from partnerhub.queue import QueueUnavailable
from partnerhub.tenancy.models import Tenant
from partnerhub.tenancy.tasks import JobTask, TenantTask
from partnerhub.tenancy.unscoped import tenant_ids

from .fund_services import mdf_allocate
from .models import RebateAccrual
from .quarters import Quarter
from .services import accrual_queue, accrual_run


@app.task
def accrue_ended_quarters() -> None:
    """Hourly (beat): on the first day of a quarter, in each tenant's time, accrue the one
    that just ended."""
    for tenant_id in tenant_ids():
        accrue_ended_quarter_if_due.delay(tenant_id=tenant_id)


@app.task(base=TenantTask)
def accrue_ended_quarter_if_due(*, tenant: Tenant) -> str | None:
    """On a quarter's first day: allocate its MDF and write off the funds that expired (again:
    nothing new), and queue the accrual of the quarter that ended."""
    today = timezone.localtime(timezone=tenant.zone).date()
    if today != Quarter.of(today).first_day:
        return None
    mdf_allocate(tenant=tenant, quarter=Quarter.of(today))
    ended = Quarter.of(today).previous()
    if RebateAccrual.objects.filter(quarter=str(ended)).exists():
        return None  # accrued today already (or by hand): later changes are a person's call
    try:
        accrual_queue(tenant=tenant, quarter=ended)
    except QueueUnavailable:
        return None  # the next hourly tick tries again
    return str(ended)


@app.task(base=JobTask, bind=True)
def run_rebate_accrual(self, *, tenant: Tenant, accrual_id: int) -> str:
    accrual = RebateAccrual.objects.get(pk=accrual_id)
    if accrual.is_finished:
        return accrual.status
    self.wait_while_alive(RebateAccrual, accrual_id)
    return accrual_run(accrual=accrual).status
