from django.core.management.base import CommandError

from incentives.models import AccrualStatus, RebateAccrual
from incentives.quarters import Quarter
from incentives.services import accrual_run
from partnerhub.tenancy.management.tenant_command import TenantCommand


class Command(TenantCommand):
    help = "Accrue a quarter's rebates into the ledger; again, only the differences."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--quarter", required=True, metavar="YYYY-Qn")

    def handle_tenant(self, tenant, *, quarter, **options):
        try:
            found = Quarter.parse(quarter)
        except ValueError as error:
            raise CommandError(str(error)) from None
        accrual = accrual_run(
            accrual=RebateAccrual.objects.create(tenant=tenant, quarter=str(found))
        )
        if accrual.status != AccrualStatus.DONE:
            raise CommandError(accrual.message)
        done = accrual.summary
        self.stdout.write(
            f"{found}: {done['accruals']} accruals, {done['adjustments']} adjustments, "
            f"{done['unchanged']} unchanged; {done['total']} {tenant.currency} written."
        )
