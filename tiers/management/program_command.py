from django.core.management.base import CommandError

from partnerhub.tenancy.management.tenant_command import TenantCommand
from tiers.engine import closest
from tiers.models import Program


class ProgramCommand(TenantCommand):
    """A command about one of the tenant's programs, named by `--program KEY`."""

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--program", required=True, metavar="KEY")

    def handle_tenant(self, tenant, *args, program: str, **options):
        found = Program.objects.filter(key=program).first()
        if found is None:
            guess = closest(program, Program.objects.values_list("key", flat=True))
            hint = f" (did you mean “{guess}”?)" if guess else ""
            raise CommandError(f"No program “{program}” in {tenant.slug}{hint}.")
        return self.handle_program(tenant, found, *args, **options)

    def handle_program(self, tenant, program: Program, *args, **options):
        raise NotImplementedError
