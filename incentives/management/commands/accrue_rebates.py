from django.core.management.base import CommandError

from incentives.quarters import Quarter
from incentives.services import AccrualRefused, rebates_accrue
from partnerhub.tenancy.management.tenant_command import TenantCommand


class Command(TenantCommand):
    help = "Accrue a quarter's rebates into the ledger; again, only the differences."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--quarter", required=True, metavar="YYYY-Qn")

    def handle_tenant(self, tenant, *, quarter, **options):
        try:
            result = rebates_accrue(tenant=tenant, quarter=Quarter.parse(quarter))
        except (ValueError, AccrualRefused) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{result.quarter}: {result.accruals} accruals, {result.adjustments} adjustments, "
            f"{result.unchanged} unchanged; {result.total:.2f} {tenant.currency} written."
        )
