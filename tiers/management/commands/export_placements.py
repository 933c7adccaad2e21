import csv

from partnerhub.csvfiles import formula_safe
from partnerhub.tenancy.management.tenant_command import TenantCommand
from partners.models import Partner


class Command(TenantCommand):
    help = "Write every partner's placement as CSV to standard output, sorted by ref."

    def handle_tenant(self, tenant, **options):
        writer = csv.writer(self.stdout, lineterminator="")
        self.stdout.write("partner_ref,tier,qualified_tier,at_risk_since,override_until")
        partners = Partner.objects.select_related(
            "placement__tier", "placement__qualified_tier"
        ).order_by("ref")
        for partner in partners:
            placement = getattr(partner, "placement", None)
            writer.writerow(
                [
                    formula_safe(partner.ref),
                    placement.tier.key if placement and placement.tier else "",
                    placement.qualified_tier.key if placement and placement.qualified_tier else "",
                    placement.at_risk_since.isoformat()
                    if placement and placement.at_risk_since
                    else "",
                    placement.override_until.isoformat()
                    if placement and placement.override_tier_id and placement.override_until
                    else "",
                ]
            )
