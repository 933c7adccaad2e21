import csv

from partnerhub.csvfiles import formula_safe
from partnerhub.tenancy.management.tenant_command import TenantCommand
from tiers.models import Placement


class Command(TenantCommand):
    help = (
        "Write every placement as CSV to standard output: one row per partner and program it "
        "is in, sorted by program key and partner ref."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--program", metavar="KEY", help="Only this program's placements.")

    def handle_tenant(self, tenant, *, program=None, **options):
        writer = csv.writer(self.stdout, lineterminator="")
        placements = Placement.objects.select_related(
            "program", "partner", "tier", "qualified_tier"
        ).order_by("program__key", "partner__ref")
        if program:
            placements = placements.filter(program__key=program)
        self.stdout.write("program,partner_ref,tier,qualified_tier,at_risk_since,override_until")
        for placement in placements.iterator(chunk_size=5_000):
            writer.writerow(
                [
                    placement.program.key,
                    formula_safe(placement.partner.ref),
                    placement.tier.key if placement.tier else "",
                    placement.qualified_tier.key if placement.qualified_tier else "",
                    placement.at_risk_since.isoformat() if placement.at_risk_since else "",
                    placement.override_until.isoformat()
                    if placement.override_tier_id and placement.override_until
                    else "",
                ]
            )
