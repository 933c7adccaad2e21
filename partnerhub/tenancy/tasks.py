from celery import Task
from django.conf import settings
from django.utils import timezone
from django_scopes import scope

from partnerhub.celery import app
from partnerhub.jobs import job_is_alive, jobs_sweep


class TenantTask(Task):
    """Base for tasks that work inside one tenant.

    Tasks take ids, never model instances; the tenant's scope and time zone are rebuilt from
    `tenant_id` before the body runs, so a task body queries exactly as a request does.
    """

    abstract = True
    typing = False  # callers pass tenant_id; the body receives the tenant

    def __call__(self, *args, tenant_id: int, **kwargs):
        from .models import Tenant

        tenant = Tenant.objects.get(pk=tenant_id)
        with scope(tenant=tenant), timezone.override(tenant.zone):
            return super().__call__(*args, tenant=tenant, **kwargs)


class JobTask(TenantTask):
    """Base for tasks that run one job row (partnerhub/jobs.py) inside its tenant."""

    abstract = True
    max_retries = 10

    def wait_while_alive(self, model, pk: int) -> None:
        """When another attempt holds the job with a fresh heartbeat, come back once it would
        be stale: by then that attempt has finished (the job has ended) or died (its heartbeat
        stopped, and this delivery reclaims the job)."""
        if job_is_alive(model, pk):
            raise self.retry(countdown=settings.JOB_STALE_SECONDS + 1)


@app.task
def sweep_stalled_jobs() -> int:
    """Every minute (beat): fail the jobs whose worker stopped, with a reason and a retry."""
    return jobs_sweep()


@app.task(base=TenantTask)
def send_invitation_email(*, tenant, invitation_id: int) -> None:
    from .models import Invitation
    from .services import invitation_send_email

    invitation = Invitation.objects.select_related("partner", "invited_by").get(pk=invitation_id)
    invitation_send_email(invitation=invitation)
