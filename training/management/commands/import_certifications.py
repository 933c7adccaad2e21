from pathlib import Path

from django.core.management.base import CommandError

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
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        try:
            result = certification_import_csv(tenant=tenant, data=data)
        except FileRejected as rejected:
            for line in rejected.lines:
                self.stderr.write(f"{file.name}: {line}")
            raise CommandError(
                f"{file.name} was not imported: {rejected.report.total} problem(s); "
                "nothing was written."
            ) from None
        self.stdout.write(
            f"Imported {file.name}: {result.created} new awards, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
