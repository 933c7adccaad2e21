from pathlib import Path

from partnerhub.csvfiles import FileRejected
from partnerhub.tenancy.management.tenant_command import TenantCommand
from training.services import certification_import_csv


class Command(TenantCommand):
    help = (
        "Import certification awards from an outside LMS: CSV columns "
        "partner_ref,email,certification,earned_on,expires_on."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("file", type=Path)

    def handle_tenant(self, tenant, *, file: Path, **options):
        data = self.read_file(file)
        try:
            result = certification_import_csv(tenant=tenant, data=data)
        except FileRejected as rejected:
            raise self.refuse_file(file, rejected.lines, rejected.report.total) from None
        self.stdout.write(
            f"Imported {file.name}: {result.rows} rows, {result.created} new awards, "
            f"{result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
