"""Jobs always end: a real prefork worker is killed with SIGKILL in the middle of a job.

Killing the pool process makes Celery requeue the task (acks_late, reject_on_worker_lost); the
redelivered task waits for the dead attempt's heartbeat to go stale, reclaims the job and runs
it to the end. Killing the whole worker leaves the task with the broker; the sweeper fails the
job with a reason, and a person retries it.
"""

import datetime
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_scopes import scope

from metrics.models import Metric, MetricImport, MetricValue
from metrics.services import metric_import_upload
from partnerhub.celery import app as celery_app
from partnerhub.jobs import WORKER_STOPPED, jobs_sweep
from tiers.models import Program, RecalculationRun
from tiers.services import recalculation_queue

from .conftest import wait_for
from .tiers.conftest import load

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
ROWS = 300_000  # seconds of work: long enough to be killed in the middle


class WorkerProcess:
    """`celery worker` with one prefork pool process, on its own queue and the test database."""

    def __init__(self, queue: str):
        self.queue = queue
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        database = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "TEST_WORKER_PROCESS": "1",
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}",
            "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "JOB_HEARTBEAT_SECONDS": "0.5",
            "JOB_STALE_SECONDS": "3",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "partnerhub",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}@%h",
                "-l",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def pool_processes(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill_pool_process(self) -> None:
        assert wait_for(self.pool_processes), "the worker has no pool process"
        for pid in self.pool_processes():
            os.kill(pid, signal.SIGKILL)

    def kill_everything(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def worker_queue(settings):
    """Tasks published by this test go to a queue that only its worker process consumes."""
    queue = f"partnerhub-kill-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    workers = []

    def start_worker() -> WorkerProcess:
        workers.append(WorkerProcess(queue).start())
        return workers[-1]

    yield start_worker
    for worker in workers:
        worker.stop()
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous


MONTHS = [f"{year}-{month:02d}" for year in range(1926, 2026) for month in range(1, 13)]


def upload_large_file(world) -> MetricImport:
    """ROWS values: 3 partners × 100 metrics × 1,000 months."""
    with scope(tenant=world.tenant):
        Metric.objects.bulk_create(
            Metric(tenant=world.tenant, key=f"m{n:02d}", name=f"Metric {n}") for n in range(100)
        )
    lines = "".join(
        f"{ref},m{metric:02d},{month},{n}.25\n"
        for n, (ref, metric, month) in enumerate(
            (ref, metric, month)
            for metric in range(100)
            for ref in ("P-001", "P-002", "P-003")
            for month in MONTHS[:1000]
        )
    )
    upload = SimpleUploadedFile("large.csv", ("partner_ref,metric,period,value\n" + lines).encode())
    with scope(tenant=world.tenant):
        return metric_import_upload(tenant=world.tenant, uploaded_file=upload, started_by=None)


def import_state(world, pk):
    with scope(tenant=world.tenant):
        return MetricImport.objects.get(pk=pk)


def test_a_killed_pool_process_is_replaced_and_the_import_is_reclaimed_and_finished(
    acme, worker_queue
):
    worker = worker_queue()
    record = upload_large_file(acme)
    assert wait_for(lambda: import_state(acme, record.pk).status == "running", seconds=30)

    worker.kill_pool_process()

    assert wait_for(lambda: import_state(acme, record.pk).is_finished, seconds=60), (
        "the redelivered task did not finish the import"
    )
    done = import_state(acme, record.pk)
    assert (done.status, done.attempts, done.rows_inserted) == ("succeeded", 2, ROWS)
    with scope(tenant=acme.tenant):
        assert MetricValue.objects.count() == ROWS
    assert not default_storage.exists(record.stored_file), "the upload goes once it is imported"


def test_a_killed_worker_leaves_a_job_the_sweeper_fails_and_a_person_retries(
    acme, worker_queue, settings
):
    worker = worker_queue()
    record = upload_large_file(acme)
    assert wait_for(lambda: import_state(acme, record.pk).status == "running", seconds=30)

    worker.kill_everything()
    settings.JOB_SWEEP_AFTER_SECONDS = 2
    assert wait_for(lambda: jobs_sweep() == 1, seconds=10), "the sweeper did not fail the job"
    failed = import_state(acme, record.pk)
    assert (failed.status, failed.problems) == ("failed", [WORKER_STOPPED])
    assert default_storage.exists(record.stored_file), "a failed upload is kept for a retry"
    with scope(tenant=acme.tenant):
        assert MetricValue.objects.count() == 0, "the killed import wrote nothing"

    client = acme.client_for(acme.manager)
    detail = client.get(f"/o/acme/metrics/imports/{record.pk}/").content.decode()
    assert WORKER_STOPPED in detail and "Retry" in detail
    client.post(f"/o/acme/metrics/imports/{record.pk}/retry/")
    assert import_state(acme, record.pk).status == "queued"

    worker_queue()
    assert wait_for(lambda: import_state(acme, record.pk).is_finished, seconds=60)
    done = import_state(acme, record.pk)
    assert (done.status, done.rows_inserted) == ("succeeded", ROWS)
    assert not default_storage.exists(record.stored_file)


def test_a_run_whose_worker_was_killed_is_failed_with_a_reason_and_changes_nothing(
    acme, worker_queue, settings
):
    load(acme)
    with scope(tenant=acme.tenant):
        program = Program.objects.get()
    database = connection.settings_dict
    # Hold the program row, so the run is sure to be in the middle when it is killed.
    blocker = psycopg.connect(
        host=database["HOST"],
        port=database["PORT"],
        user=database["USER"],
        dbname=database["NAME"],
        autocommit=False,
    )
    blocker.execute("SELECT 1 FROM tiers_program WHERE id = %s FOR NO KEY UPDATE", [program.pk])
    worker = worker_queue()
    with scope(tenant=acme.tenant):
        run = recalculation_queue(program=program, as_of=datetime.date(2026, 11, 22))

    def run_state():
        with scope(tenant=acme.tenant):
            return RecalculationRun.objects.get(pk=run.pk)

    assert wait_for(lambda: run_state().status == "running", seconds=30)
    worker.kill_everything()
    blocker.rollback()
    blocker.close()

    settings.JOB_SWEEP_AFTER_SECONDS = 2
    assert wait_for(lambda: jobs_sweep() == 1, seconds=10)
    assert (run_state().status, run_state().message) == ("failed", WORKER_STOPPED)
    with scope(tenant=acme.tenant):
        program.refresh_from_db()
        assert program.last_evaluated_on is None, "the killed run's work was rolled back"
