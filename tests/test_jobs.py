"""Jobs always end: a real prefork worker is killed with SIGKILL in the middle of a job.

Killing the pool process makes Celery requeue the task (acks_late, reject_on_worker_lost); the
redelivered task waits for the dead attempt's heartbeat to go stale, reclaims the job and runs
it to the end. Killing the whole worker leaves the task with the broker; the sweeper fails the
job with a reason, and a person retries it.
"""

import datetime
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_scopes import scope

from metrics.models import Metric, MetricImport, MetricValue
from metrics.services import metric_import_upload
from partnerhub.jobs import WORKER_STOPPED, job_is_alive, jobs_sweep
from tiers.models import (
    Placement,
    PlacementChange,
    Program,
    RecalculationRun,
    StagedPlacement,
)
from tiers.services import placements_recalculate, recalculation_queue

from .conftest import wait_for
from .tiers.conftest import TODAY, load, placed, program_with_spread, tiers_now

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROWS = 300_000  # seconds of work: long enough to be killed in the middle


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
    acme, worker_process
):
    worker = worker_process()
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
    assert wait_for(lambda: not default_storage.exists(record.stored_file)), (
        "the upload goes once it is imported (just after the commit that says so)"
    )


def test_a_killed_worker_leaves_a_job_the_sweeper_fails_and_a_person_retries(
    acme, worker_process, settings
):
    worker = worker_process()
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

    worker_process()
    assert wait_for(lambda: import_state(acme, record.pk).is_finished, seconds=60)
    done = import_state(acme, record.pk)
    assert (done.status, done.rows_inserted) == ("succeeded", ROWS)
    assert wait_for(lambda: not default_storage.exists(record.stored_file))


@contextmanager
def holding(sql: str, params: list) -> Iterator[None]:
    """The row lock `sql` takes, held on a connection of the test's own for the block, and
    released however the block ends (a failure must not leave the suite waiting on it)."""
    database = connection.settings_dict
    blocker = psycopg.connect(
        host=database["HOST"],
        port=database["PORT"],
        user=database["USER"],
        dbname=database["NAME"],
        autocommit=False,
    )
    try:
        blocker.execute(sql, params)
        yield
    finally:
        blocker.rollback()
        blocker.close()


def run_state(world, run):
    with scope(tenant=world.tenant):
        return RecalculationRun.objects.get(pk=run.pk)


def test_a_run_whose_worker_was_killed_is_failed_with_a_reason_and_changes_nothing(
    acme, worker_process, settings
):
    load(acme)
    with scope(tenant=acme.tenant):
        program = Program.objects.get()
    # Hold the program row, so the run is sure to be in the middle when it is killed.
    with holding("SELECT 1 FROM tiers_program WHERE id = %s FOR NO KEY UPDATE", [program.pk]):
        worker = worker_process()
        with scope(tenant=acme.tenant):
            run = recalculation_queue(program=program, as_of=datetime.date(2026, 11, 22))
        assert wait_for(lambda: run_state(acme, run).status == "running", seconds=30)
        worker.kill_everything()

    settings.JOB_SWEEP_AFTER_SECONDS = 2
    assert wait_for(lambda: jobs_sweep() == 1, seconds=10)
    failed = run_state(acme, run)
    assert (failed.status, failed.message) == ("failed", WORKER_STOPPED)
    with scope(tenant=acme.tenant):
        program.refresh_from_db()
        assert program.last_evaluated_on is None, "the killed run's work was rolled back"


def test_a_split_run_whose_apply_is_killed_changes_nothing_and_its_redelivery_applies_it(
    acme, globex, worker_process, monkeypatch, settings
):
    """A program split over workers: every chunk is staged, then the process applying them is
    killed inside the apply's update of the placements. No partner sees a half-applied run;
    Celery redelivers the apply, which finishes the run as one process would have placed it.
    The run's heartbeat beats all through the apply, however long it takes."""
    monkeypatch.setenv("RUN_SPLIT_ABOVE", "3")
    monkeypatch.setenv("RUN_SPLIT_CHUNK", "3")
    split, whole = program_with_spread(acme), program_with_spread(globex)
    with scope(tenant=acme.tenant):
        last = Placement.objects.filter(program=split).order_by("partner_id").last()
    # Hold one placement, so the apply is sure to be inside its update when it is killed.
    with holding("SELECT 1 FROM tiers_placement WHERE id = %s FOR UPDATE", [last.pk]):
        worker = worker_process()
        with scope(tenant=acme.tenant):
            run = recalculation_queue(program=split, as_of=TODAY)
        assert wait_for(applying_waits, seconds=30), "the apply never started"
        assert len(run_state(acme, run).chunks) == 3

        settings.JOB_STALE_SECONDS = 3  # as the worker has it
        time.sleep(4)
        with scope(tenant=acme.tenant):
            beating = job_is_alive(RecalculationRun, run.pk)
        assert beating, "the heartbeat stopped during the apply"

        worker.kill_pool_process()
        assert wait_for(applying_waits, seconds=30), "no redelivery"
        assert tiers_now(acme) == {}, "nothing applied by the killed process"
        assert run_state(acme, run).status == "running"

    assert wait_for(lambda: run_state(acme, run).is_finished, seconds=30)
    with scope(tenant=globex.tenant):
        one = placements_recalculate(program=whole, as_of=TODAY)
    done = run_state(acme, run)
    assert (done.status, done.attempts, done.summary) == ("done", 1, one.as_dict())
    assert placed(acme) == placed(globex)
    with scope(tenant=acme.tenant):
        assert PlacementChange.objects.count() == 8, "applied once"
        assert StagedPlacement.objects.count() == 0


def applying_waits() -> bool:
    """Whether a worker's apply waits for the placement the test holds (asked on a connection
    outside that transaction, which would see the activity as it was when it began)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE tiers_placement p SET%%'"
        )
        return cursor.fetchone()[0] > 0
