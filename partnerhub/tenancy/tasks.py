from celery import Task
from django.utils import timezone
from django_scopes import scope

from partnerhub.celery import app


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


@app.task(base=TenantTask)
def send_invitation_email(*, tenant, invitation_id: int) -> None:
    from .models import Invitation
    from .services import invitation_send_email

    invitation = Invitation.objects.select_related("partner", "invited_by").get(pk=invitation_id)
    invitation_send_email(invitation=invitation)
