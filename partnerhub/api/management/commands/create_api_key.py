from django.core.management.base import CommandError

from partnerhub.api.keys import api_key_create
from partnerhub.api.models import ApiKeyScope
from partnerhub.tenancy.management.tenant_command import TenantCommand


class Command(TenantCommand):
    help = "Make an API key for a tenant's integration and print it once (only a hash is kept)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--name", required=True, help="what uses it, e.g. “CRM sync”")
        parser.add_argument("--scope", required=True, choices=ApiKeyScope.values)

    def handle_tenant(self, tenant, *, name, scope, **options):
        try:
            made = api_key_create(tenant=tenant, name=name, scope=scope)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(made.secret)
        self.stderr.write(
            f"{made.api_key.name} ({scope}) for {tenant.name}: keep this key now, it is not "
            "shown again."
        )
