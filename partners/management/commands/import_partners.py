from pathlib import Path

from partnerhub.csvfiles import FileRejected
from partnerhub.tenancy.management.tenant_command import TenantCommand
from partners.services import partner_import_csv


class Command(TenantCommand):
    help = "Create or update partners by ref from CSV columns ref,name,program,type,region."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("file", type=Path)

    def handle_tenant(self, tenant, *, file: Path, **options):
        data = self.read_file(file)
        try:
            result = partner_import_csv(tenant=tenant, data=data)
        except FileRejected as rejected:
            raise self.refuse_file(file, rejected.lines, rejected.report.total) from None
        self.stdout.write(
            f"Imported {file.name}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
