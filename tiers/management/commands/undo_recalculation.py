from django.core.management.base import CommandError

from partnerhub.tenancy.management.tenant_command import TenantCommand
from tiers.models import Program
from tiers.services import RecalculationRefused, recalculation_undo


class Command(TenantCommand):
    help = "Undo a program's latest recalculation: every partner goes back where it stood."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--program", required=True, metavar="KEY")

    def handle_tenant(self, tenant, *, program, **options):
        found = Program.objects.filter(key=program).first()
        if found is None:
            raise CommandError(f"No program “{program}” in {tenant.slug}.")
        try:
            run = recalculation_undo(program=found)
        except RecalculationRefused as refused:
            raise CommandError(str(refused)) from None
        found.refresh_from_db()
        back_to = found.last_evaluated_on or "no evaluation"
        self.stdout.write(
            f"The run of {found.key} on {run.as_of} is undone; placements are as of {back_to}."
        )
