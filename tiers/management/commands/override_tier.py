from django.core.management.base import CommandError

from partnerhub.csvfiles import date_from_iso, unknown_text
from partnerhub.tenancy.management.tenant_command import TenantCommand
from partners.models import Partner
from partners.selectors import partner_refs_by_case
from tiers.models import Tier
from tiers.selectors import NoSuchTrack, partner_track
from tiers.services import NoOverride, placement_override, placement_override_clear


class Command(TenantCommand):
    help = "Hold a partner at a tier until a date (exclusive), or --clear the override."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--partner", required=True, metavar="REF")
        parser.add_argument("--tier", metavar="KEY")
        parser.add_argument("--until", metavar="YYYY-MM-DD")
        parser.add_argument("--reason", default="")
        parser.add_argument("--clear", action="store_true")
        parser.add_argument(
            "--program", metavar="KEY", help="which of its programs (needed when it is in several)"
        )

    def handle_tenant(self, tenant, *, partner, tier, until, reason, clear, program, **options):
        found = Partner.objects.filter(ref=partner).first()
        if found is None:
            raise CommandError(
                unknown_text("partner_ref", partner, partner_refs_by_case([partner]))
                + f" in {tenant.slug}"
            )
        try:
            track = partner_track(found, program)
        except NoSuchTrack as error:
            raise CommandError(str(error)) from None
        if clear:
            try:
                placement = placement_override_clear(
                    partner=found, program=track.program, today=tenant.local_today()
                )
            except NoOverride as error:
                raise CommandError(str(error)) from None
            tier_name = placement.tier.name if placement.tier else "no tier"
            self.stdout.write(f"Override of {partner} cleared: back at {tier_name}.")
            return
        if not (tier and until and reason):
            raise CommandError("--tier, --until and --reason are required (or --clear).")
        target = Tier.objects.filter(program=track.program, key=tier).first()
        if target is None:
            raise CommandError(f"No tier “{tier}” in {track.program.name}.")
        try:
            day = date_from_iso(until)
        except ValueError as error:
            raise CommandError(f"--until: {error}") from None
        try:
            placement_override(
                partner=found,
                tier=target,
                until=day,
                reason=reason,
                by=None,
                today=tenant.local_today(),
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{partner} held at {target.name} until {day}.")
