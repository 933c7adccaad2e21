"""A real Celery worker takes tasks from the real Redis broker and runs them in the tenant's scope."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_failure
from django.core import mail

from partnerhub.celery import app as celery_app
from partnerhub.tenancy.services import invitation_create
from partnerhub.tenancy.tasks import send_invitation_email

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_worker(settings, worker_id):
    """An in-process worker consuming its own queue on the Redis broker from REDIS_URL."""
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "tests need the real broker"
    queue = f"partnerhub-test-{worker_id}"
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10
        ) as worker:
            yield worker
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous


def wait_for(condition, *, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


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
        f"P-00{1 + n % 3},revenue,{2020 + n // 12}-{n % 12 + 1:02d},{n}.5\n" for n in range(600)
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
    assert not default_storage.exists(record.stored_file), "the upload is removed once imported"
