import csv

from incentives.exports import discount_csv_rows
from incentives.selectors import discount_price_list
from partnerhub.tenancy.management.tenant_command import TenantCommand


class Command(TenantCommand):
    help = (
        "Write every partner's discount by its tier now as CSV for the ERP's price lists "
        "(partner_ref,tier,discount_percent; 0 without a tier or a discount)."
    )

    def handle_tenant(self, tenant, **options):
        csv.writer(self.stdout, lineterminator="\n").writerows(
            discount_csv_rows(discount_price_list())
        )
