from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from partnerhub.tenancy.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant: a vendor running a partner program."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--time-zone", default="UTC")
        parser.add_argument("--currency", default="EUR")

    def handle(self, *args, slug, name, time_zone, currency, **options):
        try:
            tenant = tenant_create(slug=slug, name=name, time_zone=time_zone, currency=currency)
        except ValidationError as error:
            raise CommandError(_describe(error)) from None
        self.stdout.write(f"Created tenant {tenant.slug} ({tenant.name}).")


def _describe(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return " ".join(error.messages)
