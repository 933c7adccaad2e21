from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from partnerhub.tenancy.models import Tenant


class TenantCommand(BaseCommand):
    """A management command that works inside one tenant, named by `--tenant SLUG`."""

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, metavar="SLUG", help="the tenant's slug")

    def handle(self, *args, tenant: str, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant with slug “{tenant}”.")
        with scope(tenant=found):
            return self.handle_tenant(found, *args, **options)

    def handle_tenant(self, tenant: Tenant, *args, **options):
        raise NotImplementedError

    def read_file(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None

    def refuse_file(self, path: Path, problems: list[str], total: int) -> CommandError:
        """Print a refused file's report, one problem a line, and the error that exits 1."""
        for line in problems:
            self.stderr.write(f"{path.name}: {line}")
        return CommandError(
            f"{path.name} was not imported: {total} problem(s); nothing was written."
        )
