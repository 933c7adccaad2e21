import datetime

from django.core.management.base import CommandError

from partnerhub.csvfiles import date_from_iso
from partnerhub.tenancy.management.tenant_command import TenantCommand
from tiers.models import Program, RunStatus
from tiers.selectors import open_data
from tiers.services import (
    RecalculationRefused,
    RunSummary,
    placements_recalculate,
    recalculation_create,
    recalculation_run,
)


class Command(TenantCommand):
    help = "Place every partner of the tenant's programs in its tier as of a date."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--as-of", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--program", metavar="KEY", help="only this program")
        parser.add_argument(
            "--dry-run", action="store_true", help="write nothing; list the changes"
        )
        parser.add_argument(
            "--allow-open-months",
            action="store_true",
            help="run a program that requires closed months although some it reads are open",
        )

    def handle_tenant(self, tenant, *, as_of, program, dry_run, allow_open_months, **options):
        try:
            day = date_from_iso(as_of)
        except ValueError as error:
            raise CommandError(f"--as-of: {error}") from None
        programs = Program.objects.filter(active=True).order_by("key")
        if program:
            programs = programs.filter(key=program)
            if not programs.exists():
                raise CommandError(f"No active program “{program}” in {tenant.slug}.")
        for found in programs:
            waiting = open_data(found, day)
            if waiting and not dry_run and not allow_open_months:
                raise CommandError(
                    f"{found.key} requires closed months; waiting for data: "
                    f"{', '.join(map(str, waiting))}. Close them (import_metrics --close) or "
                    "pass --allow-open-months. Nothing was evaluated."
                )
        for found in programs:
            summary = self.evaluate(found, day, dry_run=dry_run)
            prefix = "Would change" if dry_run else "Evaluated"
            self.stdout.write(
                f"{found.key} on {day}: {summary.evaluated} partners evaluated, "
                f"{summary.placed} placed, {summary.promoted} promoted, "
                f"{summary.demoted + summary.grace_expired} demoted, "
                f"{summary.newly_at_risk} newly at risk, {summary.overridden} overridden, "
                f"{summary.unchanged} unchanged."
                + (
                    f" {summary.awaiting_approval} demotions wait for approval."
                    if summary.awaiting_approval
                    else ""
                )
            )
            if dry_run:
                for change in summary.changes:
                    self.stdout.write(
                        f"  {prefix} {change.partner_ref}: {change.from_tier or '-'} → "
                        f"{change.to_tier or '-'} ({change.reason})"
                    )

    def evaluate(self, program: Program, day: datetime.date, *, dry_run: bool) -> RunSummary:
        if dry_run:
            try:
                return placements_recalculate(program=program, as_of=day, dry_run=True)
            except RecalculationRefused as refused:
                raise CommandError(str(refused)) from None
        run = recalculation_run(run=recalculation_create(program=program, as_of=day))
        if run.status != RunStatus.DONE:
            raise CommandError(run.message)
        return RunSummary.from_dict(run.summary)
