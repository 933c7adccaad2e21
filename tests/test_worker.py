"""A real Celery worker takes tasks from the real Redis broker and runs them in the tenant's scope."""

import pytest
from celery.signals import task_failure
from django.core import mail

from partnerhub.tenancy.services import invitation_create
from partnerhub.tenancy.tasks import send_invitation_email

from .conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_invitation_email_is_sent_by_the_worker_after_commit(acme, redis_worker):
    invitation_create(
        tenant=acme.tenant, email="queued@example.com", role="manager", invited_by=acme.admin.user
    )
    assert wait_for(lambda: len(mail.outbox) == 1), "the worker did not send the e-mail"
    assert mail.outbox[0].to == ["queued@example.com"]
    assert "Acme" in mail.outbox[0].subject


def test_a_task_for_another_tenant_cannot_reach_this_tenants_rows(acme, globex, redis_worker):
    invitation = invitation_create(
        tenant=acme.tenant, email="scoped@example.com", role="manager", invited_by=acme.admin.user
    )
    assert wait_for(lambda: len(mail.outbox) == 1)
    failures = []

    def record(sender, exception, **kwargs):
        failures.append(exception)

    task_failure.connect(record, weak=False)
    try:
        send_invitation_email.delay(tenant_id=globex.tenant.pk, invitation_id=invitation.pk)
        assert wait_for(lambda: failures), "the task should have failed"
    finally:
        task_failure.disconnect(record)
    assert "Invitation matching query does not exist" in str(failures[0])
    assert len(mail.outbox) == 1, "no second e-mail went out"


def test_an_uploaded_metric_file_is_imported_by_the_worker(acme, redis_worker):
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_scopes import scope

    from metrics.models import Metric, MetricImport, MetricValue
    from metrics.services import metric_import_upload

    with scope(tenant=acme.tenant):
        Metric.objects.create(tenant=acme.tenant, key="revenue", name="Revenue")
    rows = "".join(
        f"P-00{1 + n % 3},revenue,{1950 + n // 12}-{n % 12 + 1:02d},{n}.5\n" for n in range(600)
    )
    upload = SimpleUploadedFile("big.csv", ("partner_ref,metric,period,value\n" + rows).encode())
    with scope(tenant=acme.tenant):
        record = metric_import_upload(tenant=acme.tenant, uploaded_file=upload, started_by=None)

    def finished():
        with scope(tenant=acme.tenant):
            return MetricImport.objects.get(pk=record.pk).is_finished

    assert wait_for(finished), "the worker did not finish the import"
    with scope(tenant=acme.tenant):
        done = MetricImport.objects.get(pk=record.pk)
        assert (done.status, done.rows_inserted) == ("succeeded", 600)
        assert MetricValue.objects.count() == 600
    assert wait_for(lambda: not default_storage.exists(record.stored_file)), "the upload goes"
