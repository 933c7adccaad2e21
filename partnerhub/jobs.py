"""Long jobs that always end: claimed once, kept alive by a heartbeat, swept when it stops.

A job row (a metric import, a recalculation run) goes queued → running → an outcome. The
attempt that runs it claims it by compare-and-swap and beats a heartbeat on its own database
connection while it works. Celery acknowledges a task only after it ran (`acks_late`) and
requeues it when its process dies (`reject_on_worker_lost`), so a killed attempt's task comes
back: it waits until the dead attempt's heartbeat is stale, then reclaims the job. When nothing
comes back (the whole worker was killed and the broker keeps the message until its visibility
timeout), the sweeper fails the job with a reason, and a person can retry it.

This module and `tenancy/unscoped.py` are the places that work across tenants: the heartbeat
and the sweeper touch job rows by primary key, never tenant data.
"""

import datetime
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ClassVar

from django.apps import apps
from django.conf import settings
from django.db import connection, connections, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_scopes import scopes_disabled

logger = logging.getLogger(__name__)

QUEUED, RUNNING, FAILED = "queued", "running", "failed"
WORKER_STOPPED = "the worker stopped while running this; retry"
NEVER_STARTED = "no worker started this in time; retry"


class TrackedJob(models.Model):
    """A job row: subclasses have `status` (with queued, running, failed) and `finished_at`."""

    objects: ClassVar[models.Manager]

    attempts = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def failure_fields(cls, reason: str) -> dict:
        """The fields that record why a job failed (each job model keeps it its own way)."""
        raise NotImplementedError


def _failure(model: type[TrackedJob], reason: str) -> dict:
    """The fields that end a job as failed, with `reason` kept the model's way."""
    return {"status": FAILED, **model.failure_fields(reason)}


def _described(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _stale_before(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)


def job_claim(model: type[TrackedJob], pk: int) -> int | None:
    """Claim a queued job, or a running one whose heartbeat stopped; the attempt number or None."""
    now = timezone.now()
    claimable = Q(status=QUEUED) | Q(status=RUNNING, heartbeat_at__lt=_stale_before(now))
    claimed = (
        model.objects.filter(pk=pk)
        .filter(claimable)
        .update(status=RUNNING, attempts=F("attempts") + 1, heartbeat_at=now)
    )
    if not claimed:
        return None
    return model.objects.filter(pk=pk).values_list("attempts", flat=True).get()


def job_is_alive(model: type[TrackedJob], pk: int) -> bool:
    """Whether another attempt runs the job with a fresh heartbeat (it may yet go stale)."""
    return model.objects.filter(
        pk=pk, status=RUNNING, heartbeat_at__gte=_stale_before(timezone.now())
    ).exists()


@contextmanager
def job_heartbeat(model: type[TrackedJob], pk: int, attempt: int) -> Iterator[None]:
    """Beat the job's heartbeat every JOB_HEARTBEAT_SECONDS while the block runs.

    The beat runs in a thread on its own connection, so it is seen while the job's own
    transaction is still open, and it skips a row that transaction has locked instead of
    waiting for it. Only this attempt's beat counts: a reclaimed job ignores the old one's.
    """
    if connection.vendor != "postgresql":
        yield  # the embedded setup runs tasks in-process: no worker to lose
        return
    stop = threading.Event()
    sql = (
        f"UPDATE {model._meta.db_table} SET heartbeat_at = now() WHERE id = ("  # noqa: S608
        f"SELECT id FROM {model._meta.db_table} WHERE id = %s AND attempts = %s "
        "AND status = %s FOR UPDATE SKIP LOCKED)"
    )

    def beat():
        try:
            while not stop.wait(settings.JOB_HEARTBEAT_SECONDS):
                with connections["default"].cursor() as cursor:
                    cursor.execute(sql, [pk, attempt, RUNNING])
        except Exception:  # a lost beat must not kill the job; the sweeper is the backstop
            logger.exception("heartbeat of %s %s stopped", model.__name__, pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class JobLost(Exception):
    """Another attempt (or the sweeper) took the job over, or it ended: this attempt's work
    rolls back. `work` may raise it itself when it finds so before it starts."""


def job_run(
    job: TrackedJob,
    *,
    work: Callable[[], dict],
    refused: type[Exception] | tuple[type[Exception], ...],
    on_refused: Callable[[Exception], dict],
    on_error: Callable[[Exception], dict] | None = None,
) -> None:
    """Claim `job`, then do `work` and record how it ended (`job_continue`). A job another live
    attempt holds, or one that ended, is left as it stands. `job` is reloaded at the end,
    whatever happened, so it shows the outcome."""
    attempt = job_claim(type(job), job.pk)
    if attempt is None:
        job.refresh_from_db()
        return
    job_continue(job, attempt, work=work, refused=refused, on_refused=on_refused, on_error=on_error)


def job_continue(
    job: TrackedJob,
    attempt: int,
    *,
    work: Callable[[], dict],
    refused: type[Exception] | tuple[type[Exception], ...],
    on_refused: Callable[[Exception], dict],
    on_error: Callable[[Exception], dict] | None = None,
) -> None:
    """Do `work` for `attempt` of `job` (claimed already) under its heartbeat, and record how
    it ended, whatever that is.

    `work` runs in one transaction and returns the fields of its success (status included).
    They are written in that same transaction, and only while this attempt still holds the
    job, so an attempt given up for dead can never overwrite the one that replaced it. A
    refusal (`refused`) ends the job with `on_refused`'s fields; any other error fails it (with
    `on_error`'s fields, by default the error in the model's `failure_fields`) and goes on up.
    `job` is reloaded at the end, whatever happened, so it shows the outcome.
    """
    model = type(job)
    mine = model.objects.filter(pk=job.pk, status=RUNNING, attempts=attempt)
    try:
        with job_heartbeat(model, job.pk, attempt):
            try:
                with transaction.atomic():
                    fields = work()
                    if not mine.update(**fields, finished_at=timezone.now()):
                        raise JobLost
            except JobLost:
                return
            except refused as refusal:
                mine.update(**on_refused(refusal), finished_at=timezone.now())
            except Exception as error:
                failure = on_error(error) if on_error else _failure(model, _described(error))
                mine.update(**failure, finished_at=timezone.now())
                raise
    finally:
        job.refresh_from_db()


@contextmanager
def job_step(job: TrackedJob, attempt: int, *, step: str) -> Iterator[None]:
    """One step of a job that later steps finish (a chunk of a split run), under the job's
    heartbeat: an error fails the job, naming `step`, and goes on up. Success writes nothing."""
    model = type(job)
    try:
        with job_heartbeat(model, job.pk, attempt):
            yield
    except Exception as error:
        model.objects.filter(pk=job.pk, status=RUNNING, attempts=attempt).update(
            **_failure(model, f"{step}: {_described(error)}"), finished_at=timezone.now()
        )
        raise


def job_models() -> list[type[TrackedJob]]:
    return [model for model in apps.get_models() if issubclass(model, TrackedJob)]


def jobs_sweep(*, now: datetime.datetime | None = None) -> int:
    """Fail every job whose worker stopped, or that no worker started in time; how many."""
    now = now or timezone.now()
    stopped_before = now - datetime.timedelta(seconds=settings.JOB_SWEEP_AFTER_SECONDS)
    queued_before = now - datetime.timedelta(seconds=settings.JOB_QUEUED_TIMEOUT_SECONDS)
    failed = 0
    with scopes_disabled():
        for model in job_models():
            date_field = "created_at" if hasattr(model, "created_at") else "started_at"
            for condition, reason in (
                (Q(status=RUNNING, heartbeat_at__lt=stopped_before), WORKER_STOPPED),
                (Q(status=QUEUED, **{f"{date_field}__lt": queued_before}), NEVER_STARTED),
            ):
                failed += model.objects.filter(condition).update(
                    **_failure(model, reason), finished_at=now
                )
    if failed:
        logger.warning("failed %s stalled job(s)", failed)
    return failed
