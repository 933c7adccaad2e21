from pathlib import Path

from django.core.management.base import CommandError

from metrics.models import ImportStatus
from metrics.services import (
    MonthNotClosable,
    metric_import_record,
    metric_import_run,
    month_closable,
    month_close,
    month_parse,
)
from partnerhub.csvfiles import file_size
from partnerhub.tenancy.management.tenant_command import TenantCommand


class Command(TenantCommand):
    help = "Import metric values from CSV or XLSX with columns partner_ref,metric,period,value."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--close",
            metavar="YYYY-MM",
            help="Once the file is in, mark this month (and every month before) complete.",
        )

    def handle_tenant(self, tenant, *, file: Path, close: str | None = None, **options):
        month = None
        if close is not None:
            try:
                month = month_parse(close)
                month_closable(tenant=tenant, month=month)
            except MonthNotClosable as refused:
                raise CommandError(f"--close: {refused} Nothing was imported.") from None
        try:
            stream = file.open("rb")
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        with stream:
            record = metric_import_record(
                tenant=tenant, file_name=file.name, size_bytes=file_size(stream), source="command"
            )
            record = metric_import_run(metric_import=record, source=stream)
        if record.status != ImportStatus.SUCCEEDED:
            raise self.refuse_file(file, record.problems, record.problem_count)
        self.stdout.write(
            f"Imported {file.name}: {record.rows_total} rows, {record.rows_inserted} new, "
            f"{record.rows_updated} updated, {record.rows_unchanged} unchanged."
        )
        if month is not None:
            month_close(tenant=tenant, month=month, source="command")
            self.stdout.write(f"{month:%Y-%m} is closed: its data is complete.")
