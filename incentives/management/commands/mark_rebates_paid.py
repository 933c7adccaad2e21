from django.core.management.base import CommandError

from incentives.quarters import Quarter
from incentives.services import rebates_mark_paid
from partnerhub.csvfiles import unknown_text
from partnerhub.tenancy.management.tenant_command import TenantCommand
from partners.models import Partner
from partners.selectors import partner_refs_by_case


class Command(TenantCommand):
    help = "Record payouts of a quarter's owed rebates, for every partner or those named."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--quarter", required=True, metavar="YYYY-Qn")
        parser.add_argument("--partner", action="append", metavar="REF", help="repeatable")

    def handle_tenant(self, tenant, *, quarter, partner, **options):
        try:
            found = Quarter.parse(quarter)
        except ValueError as error:
            raise CommandError(str(error)) from None
        partner_ids = None
        if partner:
            ids = dict(Partner.objects.filter(ref__in=partner).values_list("ref", "pk"))
            missing = [ref for ref in partner if ref not in ids]
            if missing:
                hints = partner_refs_by_case(missing)
                raise CommandError(
                    "; ".join(unknown_text("partner_ref", r, hints) for r in missing)
                )
            partner_ids = set(ids.values())
        result = rebates_mark_paid(tenant=tenant, quarter=found, partner_ids=partner_ids)
        self.stdout.write(
            f"{found}: {result.payouts} payouts, {result.total:.2f} {tenant.currency} paid."
        )
