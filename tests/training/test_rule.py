"""The rule the tier engine uses: how many distinct people of a partner hold a certification."""

import datetime

from django_scopes import scope

from training.models import Certification, CertificationAward
from training.selectors import certified_people_count

D = datetime.date


def award(world, partner, email, certification, earned, expires=None):
    with scope(tenant=world.tenant):
        CertificationAward.objects.create(
            tenant=world.tenant,
            partner=partner,
            email=email,
            certification=certification,
            earned_on=earned,
            expires_on=expires,
            source="import",
        )


def test_people_are_counted_by_email_on_the_day(acme, globex):
    with scope(tenant=acme.tenant):
        cert = Certification.objects.create(tenant=acme.tenant, key="k", name="K")
    with scope(tenant=globex.tenant):
        globex_cert = Certification.objects.create(tenant=globex.tenant, key="k", name="K")
    p1, p2 = acme.partner, acme.other_partner
    award(acme, p1, "ann@x.test", cert, D(2026, 1, 1), D(2026, 11, 22))  # expires on D: not held
    award(acme, p1, "bob@x.test", cert, D(2026, 11, 22))  # earned on D: held
    award(acme, p1, "BOB@x.test", cert, D(2025, 1, 1), D(2027, 1, 1))  # same person again
    award(acme, p1, "cy@x.test", cert, D(2026, 11, 23))  # earned after D
    award(acme, p1, "di@x.test", cert, D(2024, 1, 1), D(2026, 11, 23))  # expires the day after
    award(acme, p2, "ed@x.test", cert, D(2020, 1, 1))
    award(globex, globex.partner, "fi@x.test", globex_cert, D(2020, 1, 1))

    with scope(tenant=acme.tenant):
        counts = certified_people_count(on=D(2026, 11, 22))
    assert counts == {(p1.pk, "k"): 2, (p2.pk, "k"): 1}

    with scope(tenant=acme.tenant):
        assert certified_people_count(on=D(2026, 11, 21)) == {(p1.pk, "k"): 3, (p2.pk, "k"): 1}
        assert certified_people_count(on=D(2026, 11, 22), partner_ids=[p2.pk]) == {(p2.pk, "k"): 1}
        assert certified_people_count(on=D(2026, 11, 22), certification_keys=["other"]) == {}


def test_the_count_is_one_query(acme, django_assert_num_queries):
    with scope(tenant=acme.tenant), django_assert_num_queries(1):
        certified_people_count(on=D(2026, 11, 22))
