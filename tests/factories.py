import datetime

import factory
from allauth.account.models import EmailAddress

from partnerhub.accounts.models import User
from partnerhub.tenancy.models import Membership, Role, Tenant
from partners.models import Partner

PASSWORD = "correct horse battery staple"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.Sequence(lambda n: f"Vendor {n}")
    time_zone = "Europe/Berlin"
    currency = "EUR"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person {n}")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    ref = factory.Sequence(lambda n: f"P-{n:04d}")
    name = factory.Sequence(lambda n: f"Partner {n}")
    type = "reseller"
    region = "EMEA"
    joined_on = datetime.date(2024, 1, 15)

    @factory.post_generation
    def program(self, create, extracted, **kwargs):
        """PartnerFactory(program=program): the partner is in that program from its start."""
        if create and extracted is not None:
            move_to(Partner.objects.filter(pk=self.pk), extracted)


def move_to(partners, program) -> None:
    """Make each of `partners` (a queryset) a member of `program` only, joined on its own
    joined_on: what a fixture needs (real moves go through tiers.tracks, with history)."""
    from tiers.models import Placement

    Placement.objects.filter(partner__in=partners).exclude(program=program).delete()
    Placement.objects.bulk_create(
        [
            Placement(tenant_id=tenant_id, partner_id=pk, program=program, joined_on=joined_on)
            for pk, tenant_id, joined_on in partners.exclude(
                placements__program=program
            ).values_list("pk", "tenant_id", "joined_on")
        ]
    )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MANAGER


def placement_set(*, tenant, partner, program, **fields):
    """The partner's placement in `program` with these fields, made if it is not in it yet."""
    from tiers.models import Placement

    placement, _ = Placement.objects.update_or_create(
        partner=partner,
        program=program,
        defaults=fields,
        create_defaults={"tenant": tenant, "joined_on": partner.joined_on, **fields},
    )
    return placement
