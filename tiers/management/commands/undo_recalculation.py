from django.core.management.base import CommandError

from tiers.management.program_command import ProgramCommand
from tiers.services import RecalculationRefused, recalculation_undo


class Command(ProgramCommand):
    help = "Undo a program's latest recalculation: every partner goes back where it stood."

    def handle_program(self, tenant, program, **options):
        try:
            run = recalculation_undo(program=program)
        except RecalculationRefused as refused:
            raise CommandError(str(refused)) from None
        program.refresh_from_db()
        back_to = program.last_evaluated_on or "no evaluation"
        self.stdout.write(
            f"The run of {program.key} on {run.as_of} is undone; placements are as of {back_to}."
        )
