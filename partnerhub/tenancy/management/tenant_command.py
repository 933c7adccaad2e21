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
