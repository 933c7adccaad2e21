from django.core.management.base import CommandError

from partnerhub.tenancy.management.tenant_command import TenantCommand
from partnerhub.webhooks.models import EventType
from partnerhub.webhooks.services import EndpointRefused, endpoint_create


class Command(TenantCommand):
    help = "Register a webhook endpoint and print its signing secret once."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--url", required=True)
        parser.add_argument(
            "--events", required=True, help=f"comma-separated: {', '.join(EventType.values)}"
        )

    def handle_tenant(self, tenant, *, url, events, **options):
        wanted = [event.strip() for event in events.split(",") if event.strip()]
        try:
            endpoint = endpoint_create(tenant=tenant, url=url, events=wanted)
        except EndpointRefused as refused:
            raise CommandError(f"{url}: {refused}") from None
        self.stdout.write(endpoint.secret)
        self.stderr.write(
            f"Webhook {endpoint.url} ({', '.join(endpoint.events)}): keep this signing secret "
            "now, it is not shown again."
        )
