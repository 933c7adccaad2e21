"""Importing metric values: one service behind the upload, the command and the Celery task.

A plain CSV file is COPYed into a staging table as it stands and checked there by SQL
(`metrics.staging`). Any other file, and a plain one with anything wrong in it, is read row by
row, checking each row's own format (period, value, blanks) and streaming the good rows into the
staging table with their line numbers. Set-based SQL then finds unknown partners and metrics and
repeated keys; one UPDATE of the changed values and one INSERT of the new ones write everything.
Any problem rolls it all back.
"""

import datetime
import io
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from partnerhub.csvfiles import (
    FileRejected,
    ProblemReport,
    file_size,
    formula_unescaped,
    unknown_text,
)
from partnerhub.jobs import job_run
from partnerhub.locks import LockFor, lock_until_commit
from partnerhub.queue import enqueue_on_commit
from partnerhub.tenancy.models import Tenant
from partnerhub.tenancy.services import audit_record
from partnerhub.webhooks.models import EventType
from partnerhub.webhooks.services import event_emit

from .files import METRIC_COLUMNS, is_workbook, open_table
from .models import ClosedMonth, ImportStatus, Metric, MetricImport
from .staging import (
    MAX_KEY_CHARS,
    PERIOD_PATTERN,
    VALUE_PATTERN,
    NotPlain,
    plain_csv_staged,
    staging_create,
    staging_drop,
    staging_load,
)

PERIOD = re.compile(PERIOD_PATTERN)
VALUE = re.compile(VALUE_PATTERN)
PROGRESS_EVERY = 50_000

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class MetricImportResult:
    rows: int
    inserted: int
    updated: int
    unchanged: int


def metric_values_import(
    *,
    tenant: Tenant,
    source: BinaryIO | bytes,
    file_name: str,
    progress: Progress | None = None,
) -> MetricImportResult:
    """Upsert metric values from CSV or XLSX `partner_ref,metric,period,value`, all or nothing.

    `source` is an open binary file (read as a stream) or the file's bytes. Raises FileRejected
    with every problem (by line) and writes nothing when the file is bad.
    """
    progress = progress or (lambda phase, fraction: None)
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    plain = _plain_csv_import(tenant, stream, file_name, progress)
    if plain is not None:
        return plain
    stream.seek(0)
    report = ProblemReport()
    table = open_table(stream, file_name=file_name, report=report)
    if table is None:
        raise FileRejected(report)
    columns = [table.header.index(name) for name in METRIC_COLUMNS]
    records = ((line, [cells[at] for at in columns]) for line, cells in table.rows)
    return metric_values_upsert(
        tenant=tenant,
        records=records,
        report=report,
        line_count=table.line_count,
        progress=progress,
        empty="the file has a header but no rows",
    )


def _plain_csv_import(
    tenant: Tenant, stream: BinaryIO, file_name: str, progress: Progress
) -> MetricImportResult | None:
    """The fast way in for a plain CSV file with nothing wrong in it; None, having written
    nothing, for any other file: the reader then reads it and names every problem."""
    if is_workbook(stream, file_name=file_name) or (
        file_size(stream) > settings.METRIC_IMPORT_MAX_BYTES
    ):
        return None
    try:
        with transaction.atomic():
            staging_create()
            rows = plain_csv_staged(stream, open_month=_open_month(tenant))
            progress("validating", 1.0)
            try:
                inserted, updated = _checked_write(tenant, ProblemReport(), progress)
            except FileRejected:
                raise NotPlain from None
            staging_drop()
    except NotPlain:
        return None
    return MetricImportResult(rows, inserted, updated, rows - inserted - updated)


def metric_values_upsert(
    *,
    tenant: Tenant,
    records: Iterator[tuple[int, list[str]]],
    report: ProblemReport,
    line_count: int,
    progress: Progress | None = None,
    place: Callable[[int], str] = lambda line: f"on line {line}",
    empty: str = "there are no values",
) -> MetricImportResult:
    """Upsert `(line, [partner_ref, metric, period, value])` records, all or nothing: the one
    path behind files and the API. FileRejected with every problem, by `line`, writes nothing;
    `place` says where a line is when a problem points at another one."""
    progress = progress or (lambda phase, fraction: None)
    with transaction.atomic():
        staging_create()
        checked = _checked_rows(records, report, line_count, progress, _open_month(tenant))
        rows = staging_load(checked)
        if rows == 0 and not report:
            report.add(None, empty)
        progress("validating", 1.0)
        inserted, updated = _checked_write(tenant, report, progress, place)
        staging_drop()
    return MetricImportResult(rows, inserted, updated, rows - inserted - updated)


def _open_month(tenant: Tenant) -> str:
    return tenant.local_today().strftime("%Y-%m")


def _checked_write(
    tenant: Tenant,
    report: ProblemReport,
    progress: Progress,
    place: Callable[[int], str] = lambda line: f"on line {line}",
) -> tuple[int, int]:
    """Check the staged rows' keys against the database, then write them; FileRejected, with
    every problem in `report`, when anything is wrong (the rollback drops the staging table)."""
    _plan_for_bulk_joins()
    _report_unknown_keys(tenant, report)
    _report_repeated_keys(report, place)
    if report:
        raise FileRejected(report)
    progress("writing", 1.0)
    return _write(tenant)


def _checked_rows(
    records: Iterator[tuple[int, list[str]]],
    report: ProblemReport,
    line_count: int,
    progress: Progress,
    open_month: str,
) -> Iterator[tuple]:
    """Check each row's own format; yield (line, partner_ref, metric, period, value) for the
    rows whose keys can be checked against the database (their period/value may be None)."""
    for count, (line, cells) in enumerate(records, start=1):
        if count % PROGRESS_EVERY == 0:
            progress("reading", min(line / line_count, 1.0))
        ref = formula_unescaped(cells[0].strip())
        metric = cells[1].strip()
        period = cells[2].strip()
        value = cells[3].strip()
        keys_ok = True
        if not ref:
            report.add(line, "partner_ref is missing")
            keys_ok = False
        elif len(ref) > MAX_KEY_CHARS:
            report.add(line, f"partner_ref is longer than {MAX_KEY_CHARS} characters")
            keys_ok = False
        if not metric:
            report.add(line, "metric is missing")
            keys_ok = False
        elif len(metric) > MAX_KEY_CHARS:
            report.add(line, f"metric is longer than {MAX_KEY_CHARS} characters")
            keys_ok = False
        if PERIOD.fullmatch(period) and period >= open_month:
            report.add(line, f"{period} has not ended: a month is imported once it is over")
            period = None
        elif not PERIOD.fullmatch(period):
            report.add(line, _period_problem(period))
            period = None
        if not VALUE.fullmatch(value):
            report.add(line, _value_problem(value))
            value = None
        if keys_ok:
            yield line, ref, metric, period, value


def _period_problem(period: str) -> str:
    if not period:
        return "period is missing"
    return f"period “{period[:40]}” is not a month written YYYY-MM (for example 2026-03)"


def _value_problem(value: str) -> str:
    if not value:
        return "value is missing"
    shown = value[:40]
    try:
        number = Decimal(value)
    except InvalidOperation:
        if "," in value:
            return f"value “{shown}” is not a number: use a point for decimals and no separators"
        return f"value “{shown}” is not a number"
    if not number.is_finite():
        return f"value “{shown}” is not a finite number"
    if "e" in value.lower():
        return f"value “{shown}” is written with an exponent; write the number out"
    if number.as_tuple().exponent < -4:
        return f"value “{shown}” has more than 4 decimal places"
    return f"value “{shown}” is too large (at most 14 digits before the decimal point)"


def _plan_for_bulk_joins() -> None:
    """Keep the planner off nested loops for the set-based statements that follow: a temporary
    table is never analyzed, and without statistics it joined a new tenant's first large file
    row by row (minutes for 300,000 rows). ANALYZE fixed that too, but slowed the usual import
    by a third (bench/README.md); hash joins are right for every statement here."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_nestloop = off")


def _fetch_problems(sql: str, params: list, report: ProblemReport, describe) -> None:
    """Add the first problems a query finds and count the rest (its last column is the total)."""
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY 1 LIMIT %s", [*params, report.cap])
        found = cursor.fetchall()
    for row in found:
        report.add(row[0], describe(*row[1:-1]))
    if found:
        report.count_more(found[0][-1] - len(found))


def _report_unknown_keys(tenant: Tenant, report: ProblemReport) -> None:
    """Name every unknown partner_ref and metric; one that differs only by case says so."""
    for column, table, key, name in (
        ("partner_ref", "partners_partner", "ref", "partner_ref"),
        ("metric", "metrics_metric", "key", "metric"),
    ):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.line, s.{column}, COUNT(*) OVER () FROM metric_import_rows s "  # noqa: S608 - constant SQL
                f"LEFT JOIN {table} k ON k.tenant_id = %s AND k.{key} = s.{column} "
                "WHERE k.id IS NULL ORDER BY 1 LIMIT %s",
                [tenant.pk, report.cap],
            )
            found = cursor.fetchall()
            if not found:
                continue
            cursor.execute(
                f"SELECT lower({key}), {key} FROM {table} "  # noqa: S608 - constant SQL
                f"WHERE tenant_id = %s AND lower({key}) = ANY(%s)",
                [tenant.pk, sorted({value.lower() for _, value, _ in found})],
            )
            by_case = dict(cursor.fetchall())
        for line, value, _ in found:
            report.add(line, unknown_text(name, value, by_case))
        report.count_more(found[0][-1] - len(found))


def _report_repeated_keys(report: ProblemReport, place: Callable[[int], str]) -> None:
    _fetch_problems(
        "SELECT s.line, first.line, s.partner_ref, s.metric, s.period, COUNT(*) OVER () "
        "FROM metric_import_rows s JOIN ("
        "  SELECT partner_ref, metric, period, MIN(line) AS line FROM metric_import_rows "
        "   WHERE period IS NOT NULL GROUP BY partner_ref, metric, period HAVING COUNT(*) > 1"
        ") first ON first.partner_ref = s.partner_ref AND first.metric = s.metric "
        "AND first.period = s.period AND first.line <> s.line",
        [],
        report,
        lambda first_line, ref, metric, period: (
            f"{ref[:60]} / {metric[:60]} / {period} already appears {place(first_line)}"
        ),
    )


_STAGED_WITH_IDS = (
    "FROM metric_import_rows s "
    "JOIN partners_partner p ON p.tenant_id = %s AND p.ref = s.partner_ref "
    "JOIN metrics_metric m ON m.tenant_id = %s AND m.key = s.metric"
)


def _write(tenant: Tenant) -> tuple[int, int]:
    """Write the staged rows; return (inserted, updated). Unchanged values are not rewritten.

    Imports of one tenant run one at a time, so new rows can be plain inserts (no speculative
    ON CONFLICT work), and the partners and metrics they point to are locked against deletion
    until commit, which stands in for the foreign-key checks MetricValue does without.
    """
    ids = [tenant.pk, tenant.pk]
    # Staged as the file's text ("2026-03", "1500.5"), both checked already; SQLite keeps
    # dates as text and gives the value its column's numeric affinity.
    period, value = "s.period || '-01'", "s.value"
    if connection.vendor == "postgresql":
        period, value = f"CAST({period} AS date)", f"CAST({value} AS numeric(18, 4))"
    lock_until_commit(LockFor.IMPORT, tenant.pk)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT 1 FROM partners_partner WHERE tenant_id = %s FOR KEY SHARE", [tenant.pk]
            )
            cursor.execute(
                "SELECT 1 FROM metrics_metric WHERE tenant_id = %s FOR KEY SHARE", [tenant.pk]
            )
        cursor.execute(
            "UPDATE metrics_metricvalue SET value = changed.value FROM ("  # noqa: S608 - constant SQL
            f"  SELECT p.id AS partner_id, m.id AS metric_id, {period} AS period, {value} AS value "
            f"  {_STAGED_WITH_IDS}"
            ") changed WHERE metrics_metricvalue.partner_id = changed.partner_id "
            "AND metrics_metricvalue.metric_id = changed.metric_id "
            "AND metrics_metricvalue.period = changed.period "
            "AND metrics_metricvalue.value <> changed.value",
            ids,
        )
        updated = cursor.rowcount
        cursor.execute(
            "INSERT INTO metrics_metricvalue (tenant_id, partner_id, metric_id, period, value) "  # noqa: S608
            f"SELECT %s, p.id, m.id, {period}, {value} {_STAGED_WITH_IDS} "
            "WHERE NOT EXISTS (SELECT 1 FROM metrics_metricvalue v WHERE v.partner_id = p.id "
            f"AND v.metric_id = m.id AND v.period = {period})",
            [tenant.pk, *ids],
        )
        inserted = cursor.rowcount
    if inserted + updated >= VACUUM_AFTER_ROWS and connection.vendor == "postgresql":
        transaction.on_commit(metric_values_vacuum)
    return inserted, updated


# The nightly run reads a chunk's values from the (partner, metric, period) index alone (metrics
# 0004), but PostgreSQL still reads each row from its page until VACUUM has marked the page
# all-visible: 245 ms a chunk of 5,000 partners instead of 120. Autovacuum would get to it after
# a fifth of the table was new; it may also be off. 1,000 rows is its own threshold.
VACUUM_AFTER_ROWS = 1_000


def metric_values_vacuum() -> None:
    """Mark the metric values' new pages all-visible (VACUUM reads only the pages that are not).
    After the import's commit: VACUUM runs in no transaction; SKIP_LOCKED leaves the pages to
    the next one when another VACUUM of the table is under way."""
    if connection.in_atomic_block:  # a caller's transaction is still open (a test's)
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (SKIP_LOCKED) metrics_metricvalue")


def metric_import_record(
    *,
    tenant: Tenant,
    file_name: str,
    size_bytes: int,
    source: str,
    started_by=None,
    stored_file: str = "",
) -> MetricImport:
    return MetricImport.objects.create(
        tenant=tenant,
        file_name=file_name[:255],
        size_bytes=size_bytes,
        source=source,
        started_by=started_by,
        stored_file=stored_file,
    )


def metric_import_run(
    *, metric_import: MetricImport, source: BinaryIO | bytes, progress: Progress | None = None
) -> MetricImport:
    """Claim the import, run it and record its outcome, whatever that outcome is (written with
    the values, by partnerhub.jobs.job_run). An import another live attempt holds, or one that
    ended, is returned as it stands; an upload goes once its import has a result."""

    def work() -> dict:
        result = metric_values_import(
            tenant=metric_import.tenant,
            source=source,
            file_name=metric_import.file_name,
            progress=progress,
        )
        outcome = {
            "status": ImportStatus.SUCCEEDED,
            "rows_total": result.rows,
            "rows_inserted": result.inserted,
            "rows_updated": result.updated,
            "rows_unchanged": result.unchanged,
            "problem_count": 0,
            "problems": [],
        }
        _import_finished_event(metric_import, outcome)  # with the values it wrote
        return outcome

    status_before = metric_import.status
    try:
        job_run(
            metric_import,
            work=work,
            refused=FileRejected,
            on_refused=lambda rejected: {
                "status": ImportStatus.REJECTED,
                "problem_count": rejected.report.total,
                "problems": rejected.lines,
            },
            on_error=lambda error: {
                "status": ImportStatus.FAILED,
                "problems": [
                    f"the import stopped on an internal error ({_reason(error)}); "
                    "nothing was written; retry"
                ],
            },
        )
    finally:  # job_run has reloaded the import, whatever happened
        if metric_import.status in (ImportStatus.SUCCEEDED, ImportStatus.REJECTED):
            _discard_upload(metric_import)
        if metric_import.status != status_before and metric_import.status in (
            ImportStatus.REJECTED,
            ImportStatus.FAILED,
        ):
            _import_finished_event(metric_import, {"status": metric_import.status})
    return metric_import


def _import_finished_event(metric_import: MetricImport, outcome: dict) -> None:
    event_emit(
        tenant=metric_import.tenant_id,
        type=EventType.IMPORT_FINISHED,
        data={
            "import_id": metric_import.pk,
            "file_name": metric_import.file_name,
            "status": outcome["status"],
            "rows_total": outcome.get("rows_total", metric_import.rows_total),
            "rows_inserted": outcome.get("rows_inserted", metric_import.rows_inserted),
            "rows_updated": outcome.get("rows_updated", metric_import.rows_updated),
            "problem_count": outcome.get("problem_count", metric_import.problem_count),
        },
    )


def _reason(error: Exception) -> str:
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(error, SoftTimeLimitExceeded):
        return "it ran longer than the time limit"
    return type(error).__name__


def _discard_upload(metric_import: MetricImport) -> None:
    """An upload is kept until its import ended with a result; a failed one stays for a retry."""
    if metric_import.stored_file:
        default_storage.delete(metric_import.stored_file)


def metric_import_upload(*, tenant: Tenant, uploaded_file, started_by) -> MetricImport:
    """Keep an uploaded file and queue its import; the worker reads it back from storage.

    QueueUnavailable when the task queue cannot take it: then neither the record nor the
    stored file is kept.
    """
    from .tasks import run_metric_import

    stored = default_storage.save(
        f"metric-imports/{tenant.pk}/{uuid.uuid4().hex}.upload", uploaded_file
    )
    metric_import = metric_import_record(
        tenant=tenant,
        file_name=uploaded_file.name,
        size_bytes=uploaded_file.size,
        source="upload",
        started_by=started_by,
        stored_file=stored,
    )

    def undo():
        MetricImport.objects.filter(pk=metric_import.pk).delete()
        default_storage.delete(stored)

    enqueue_on_commit(run_metric_import, undo=undo, tenant_id=tenant.pk, import_id=metric_import.pk)
    return metric_import


def metric_import_retry(*, metric_import: MetricImport) -> bool:
    """Queue a failed upload's import again; False when it cannot be retried (any more)."""
    from .tasks import run_metric_import

    if not metric_import.can_retry or not default_storage.exists(metric_import.stored_file):
        return False
    requeued = MetricImport.objects.filter(pk=metric_import.pk, status=ImportStatus.FAILED).update(
        status=ImportStatus.QUEUED, problems=[], problem_count=0, finished_at=None
    )
    if not requeued:
        return False

    def undo():
        MetricImport.objects.filter(pk=metric_import.pk, status=ImportStatus.QUEUED).update(
            status=ImportStatus.FAILED, finished_at=timezone.now()
        )

    enqueue_on_commit(
        run_metric_import, undo=undo, tenant_id=metric_import.tenant_id, import_id=metric_import.pk
    )
    return True


def metric_import_refuse(
    *, tenant: Tenant, file_name: str, size_bytes: int, started_by, problem: str
):
    """Record an upload refused before it was read (too large), so the history shows it."""
    metric_import = metric_import_record(
        tenant=tenant,
        file_name=file_name,
        size_bytes=size_bytes,
        source="upload",
        started_by=started_by,
    )
    metric_import.status = ImportStatus.REJECTED
    metric_import.problem_count = 1
    metric_import.problems = [problem]
    metric_import.finished_at = timezone.now()
    metric_import.save()
    return metric_import


def metric_create(*, tenant: Tenant, **fields) -> Metric:
    metric = Metric(tenant=tenant, **fields)
    metric.full_clean()
    metric.save()
    return metric


def metric_update(*, metric: Metric, **fields) -> Metric:
    for name, value in fields.items():
        setattr(metric, name, value)
    metric.full_clean()
    metric.save()
    return metric


class MonthNotClosable(ValueError):
    """The month cannot be closed: not a month, or not over yet."""


def month_parse(text: str) -> datetime.date:
    """“2026-10” as its 1st, or MonthNotClosable naming the shape expected."""
    if not isinstance(text, str) or not PERIOD.fullmatch(text.strip()):
        raise MonthNotClosable(f"“{text}” is not a month written YYYY-MM (for example 2026-10).")
    return datetime.date.fromisoformat(text.strip() + "-01")


def month_closable(*, tenant: Tenant, month: datetime.date) -> None:
    today = tenant.local_today()
    if (month.year, month.month) >= (today.year, today.month):
        raise MonthNotClosable(
            f"{month:%Y-%m} has not ended yet ({today:%Y-%m-%d} in {tenant.name}); "
            "only a past month can be complete."
        )


@transaction.atomic
def month_close(*, tenant: Tenant, month: datetime.date, by=None, source: str) -> ClosedMonth:
    """Mark `month` complete (and with it every month before); closing it again keeps the
    first close. Refused for a month that has not ended in the tenant's time zone."""
    month_closable(tenant=tenant, month=month)
    closed, created = ClosedMonth.objects.get_or_create(
        tenant=tenant, month=month, defaults={"closed_by": by, "source": source}
    )
    if created:
        audit_record(
            tenant_id=tenant.pk,
            actor=by,
            action="month.closed",
            subject=f"{month:%Y-%m} closed ({source})",
            month=f"{month:%Y-%m}",
            source=source,
        )
    return closed
