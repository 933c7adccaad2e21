import json

from tiers.management.program_command import ProgramCommand
from tiers.programs import program_export


class Command(ProgramCommand):
    help = "Write a tier program as JSON (the load_program format) to standard output."

    def handle_program(self, tenant, program, **options):
        self.stdout.write(json.dumps(program_export(program), indent=2, ensure_ascii=False))
