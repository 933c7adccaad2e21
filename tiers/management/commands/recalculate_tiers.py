import datetime

from django.core.management.base import CommandError

from partnerhub.tenancy.management.tenant_command import TenantCommand
from tiers.models import Program
from tiers.services import RecalculationRefused, placements_recalculate


class Command(TenantCommand):
    help = "Place every partner of the tenant's programs in its tier as of a date."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--as-of", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--program", metavar="KEY", help="only this program")
        parser.add_argument(
            "--dry-run", action="store_true", help="write nothing; list the changes"
        )

    def handle_tenant(self, tenant, *, as_of, program, dry_run, **options):
        try:
            day = datetime.date.fromisoformat(as_of)
        except ValueError:
            raise CommandError(f"“{as_of}” is not a date written YYYY-MM-DD.") from None
        programs = Program.objects.filter(active=True).order_by("key")
        if program:
            programs = programs.filter(key=program)
            if not programs.exists():
                raise CommandError(f"No active program “{program}” in {tenant.slug}.")
        for found in programs:
            try:
                summary = placements_recalculate(program=found, as_of=day, dry_run=dry_run)
            except RecalculationRefused as refused:
                raise CommandError(str(refused)) from None
            prefix = "Would change" if dry_run else "Evaluated"
            self.stdout.write(
                f"{found.key} on {day}: {summary.evaluated} partners evaluated, "
                f"{summary.promoted} promoted, {summary.demoted} demoted, "
                f"{summary.newly_at_risk} newly at risk, {summary.overridden} overridden, "
                f"{summary.unchanged} unchanged."
            )
            if dry_run:
                for change in summary.changes:
                    self.stdout.write(
                        f"  {prefix} {change.partner_ref}: {change.from_tier or '-'} → "
                        f"{change.to_tier or '-'} ({change.reason})"
                    )
