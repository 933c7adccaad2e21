from pathlib import Path

from django.core.management.base import CommandError

from metrics.models import ImportStatus
from metrics.services import metric_import_record, metric_import_run
from partnerhub.tenancy.management.tenant_command import TenantCommand


class Command(TenantCommand):
    help = "Import metric values from CSV or XLSX with columns partner_ref,metric,period,value."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("file", type=Path)

    def handle_tenant(self, tenant, *, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        record = metric_import_record(
            tenant=tenant, file_name=file.name, size_bytes=len(data), source="command"
        )
        record = metric_import_run(metric_import=record, data=data)
        if record.status != ImportStatus.SUCCEEDED:
            for line in record.problems:
                self.stderr.write(f"{file.name}: {line}")
            raise CommandError(
                f"{file.name} was not imported: {record.problem_count} problem(s); "
                "nothing was written."
            )
        self.stdout.write(
            f"Imported {file.name}: {record.rows_total} rows, {record.rows_inserted} new, "
            f"{record.rows_updated} updated, {record.rows_unchanged} unchanged."
        )
