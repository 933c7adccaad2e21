import json
from pathlib import Path

from django.core.management.base import CommandError

from partnerhub.tenancy.management.tenant_command import TenantCommand
from tiers.program_file import ProgramFileError
from tiers.programs import program_load


class Command(TenantCommand):
    help = "Create or update a tier program from a JSON file; the same file again changes nothing."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("file", type=Path)

    def handle_tenant(self, tenant, *, file: Path, **options):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{file.name} is not valid JSON: {error}") from None
        try:
            program, changed, warnings = program_load(tenant=tenant, data=data)
        except ProgramFileError as error:
            raise CommandError(f"{file.name} was not loaded: {error}") from None
        for warning in warnings:
            self.stderr.write(f"{file.name}: warning: {warning}")
        state = f"now at criteria version {program.version}" if changed else "unchanged"
        self.stdout.write(f"Program {program.key} {state}.")
