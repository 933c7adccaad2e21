import json

from django.core.management.base import CommandError

from partnerhub.tenancy.management.tenant_command import TenantCommand
from tiers.models import Program
from tiers.programs import program_export


class Command(TenantCommand):
    help = "Write a tier program as JSON (the load_program format) to standard output."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--program", required=True, metavar="KEY")

    def handle_tenant(self, tenant, *, program, **options):
        found = Program.objects.filter(key=program).first()
        if found is None:
            raise CommandError(f"No program “{program}” in {tenant.slug}.")
        self.stdout.write(json.dumps(program_export(found), indent=2, ensure_ascii=False))
