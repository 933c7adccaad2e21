from django.core.management.base import CommandError

from incentives.fund_services import AllocationRefused, mdf_allocate
from incentives.quarters import Quarter
from partnerhub.tenancy.management.tenant_command import TenantCommand


class Command(TenantCommand):
    help = "Allocate a quarter's market development funds by the tier held on its first day."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--quarter", required=True, metavar="YYYY-Qn")

    def handle_tenant(self, tenant, *, quarter, **options):
        try:
            result = mdf_allocate(tenant=tenant, quarter=Quarter.parse(quarter))
        except (ValueError, AllocationRefused) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{result.quarter}: {result.allocated} allocations, "
            f"{result.total:.2f} {tenant.currency} allocated."
            + (f" {result.expired} expired balances written off." if result.expired else "")
        )
