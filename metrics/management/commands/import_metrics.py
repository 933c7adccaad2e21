from pathlib import Path

from django.core.management.base import CommandError

from metrics.models import ImportStatus
from metrics.services import metric_import_record, metric_import_run
from partnerhub.csvfiles import file_size
from partnerhub.tenancy.management.tenant_command import TenantCommand


class Command(TenantCommand):
    help = "Import metric values from CSV or XLSX with columns partner_ref,metric,period,value."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("file", type=Path)

    def handle_tenant(self, tenant, *, file: Path, **options):
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
