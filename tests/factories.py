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

    tenant = factory.SubFactory(TenantFactory)
    ref = factory.Sequence(lambda n: f"P-{n:04d}")
    name = factory.Sequence(lambda n: f"Partner {n}")
    type = "reseller"
    region = "EMEA"
    joined_on = datetime.date(2024, 1, 15)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MANAGER
