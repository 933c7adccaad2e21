from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import validate_email

from partnerhub.tenancy.management.tenant_command import TenantCommand
from partnerhub.tenancy.models import Role
from partnerhub.tenancy.services import membership_add
from partners.models import Partner


class Command(TenantCommand):
    help = "Give a person a role in a tenant, creating the person (e-mail verified) if needed."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--partner", metavar="REF", help="the partner's ref, for partner users")
        parser.add_argument("--password", help="only used when the person is created")

    def handle_tenant(self, tenant, *, email, role, partner, password, **options):
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"“{email}” is not an e-mail address.") from None
        if role == Role.PARTNER and not partner:
            raise CommandError("A partner user needs --partner REF.")
        if role != Role.PARTNER and partner:
            raise CommandError("--partner is only for --role partner.")
        partner_obj = None
        if partner:
            partner_obj = Partner.objects.filter(ref=partner).first()
            if partner_obj is None:
                raise CommandError(f"No partner with ref “{partner}” in {tenant.slug}.")
        try:
            result = membership_add(
                tenant=tenant, email=email, role=role, partner=partner_obj, password=password
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if result.membership_created:
            verb = "Added"
        elif result.membership_changed:
            verb = "Updated"
        else:
            verb = "Unchanged:"
        self.stdout.write(f"{verb} {email} as {role} in {tenant.slug}.")
