import csv

from django.core.management.base import CommandError
from django.utils import timezone

from incentives.exports import statement_csv_rows
from incentives.quarters import Quarter
from incentives.selectors import rebate_ledger, rebate_statement
from partnerhub.csvfiles import formula_safe
from partnerhub.tenancy.management.tenant_command import TenantCommand


class Command(TenantCommand):
    help = (
        "Write a quarter's rebates as CSV: one row per partner and metric "
        "(partner_ref,quarter,tier,metric,base,rate,amount,paid), or --ledger for every entry."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--quarter", required=True, metavar="YYYY-Qn")
        parser.add_argument("--ledger", action="store_true", help="every ledger entry instead")

    def handle_tenant(self, tenant, *, quarter, ledger, **options):
        try:
            found = Quarter.parse(quarter)
        except ValueError as error:
            raise CommandError(str(error)) from None
        out = csv.writer(self.stdout, lineterminator="\n")
        if ledger:
            out.writerow(["partner_ref", "quarter", "metric", "kind", "amount", "created_at"])
            for entry in rebate_ledger(quarter=found):
                local = timezone.localtime(entry.created_at, tenant.zone)
                out.writerow(
                    [
                        formula_safe(entry.partner.ref),
                        entry.quarter,
                        entry.metric.key,
                        entry.kind,
                        f"{entry.amount:.2f}",
                        local.isoformat(timespec="seconds"),
                    ]
                )
            return
        out.writerows(statement_csv_rows(rebate_statement(quarter=found)))
