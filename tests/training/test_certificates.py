"""A certificate: its holder downloads it as PDF with a link anyone can follow to check it; the
check says whether it still holds, and names the certification, the partner and the holder."""

import datetime

from django_scopes import scope

from training.models import Certification, CertificationAward


def award(world, *, expires_on=None, email=None):
    with scope(tenant=world.tenant):
        certification = Certification.objects.get_or_create(
            tenant=world.tenant, key="pro", defaults={"name": "Sales Professional"}
        )[0]
        return CertificationAward.objects.create(
            tenant=world.tenant,
            partner=world.partner,
            email=email or world.partner_user.user.email,
            certification=certification,
            earned_on=datetime.date(2026, 3, 1),
            expires_on=expires_on,
            source="import",
        )


def test_the_holder_downloads_a_certificate_that_anyone_can_check(acme):
    held = award(acme, expires_on=datetime.date(2028, 3, 1))
    client = acme.client_for(acme.partner_user)
    assert "Certificate (PDF)" in client.get("/o/acme/training/").content.decode()
    response = client.get(f"/o/acme/training/certificates/{held.pk}/")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    held.refresh_from_db()
    assert held.verify_code and len(held.verify_code) >= 12
    again = client.get(f"/o/acme/training/certificates/{held.pk}/")
    assert again.status_code == 200
    held.refresh_from_db()
    code = held.verify_code
    check = acme.client_for(acme.manager).get(f"/certificates/{code}/").content.decode()
    from django.test import Client

    public = Client().get(f"/certificates/{code}/").content.decode()
    assert 'id="certificate-status">Valid<' in public and "Sales Professional" in public
    assert acme.partner.name in public and acme.partner_user.user.email not in public
    assert 'id="certificate-status">Valid<' in check, "the same page, signed in or not"


def test_an_expired_certificate_checks_as_no_longer_valid(acme):
    held = award(acme, expires_on=datetime.date(2026, 6, 1))
    acme.client_for(acme.admin).get(f"/o/acme/training/certificates/{held.pk}/")
    held.refresh_from_db()
    from django.test import Client

    page = Client().get(f"/certificates/{held.verify_code}/").content.decode()
    assert 'id="certificate-status">No longer valid<' in page


def test_only_the_holder_and_staff_download_it_and_unknown_codes_are_not_found(acme, globex):
    from django.test import Client

    from partnerhub.tenancy.models import Role

    from ..factories import MembershipFactory, UserFactory

    held = award(acme)
    with scope(tenant=acme.tenant):
        colleague = MembershipFactory(
            tenant=acme.tenant,
            role=Role.PARTNER,
            partner=acme.other_partner,
            user=UserFactory(email="other@acme.test"),
        )
    url = f"/o/acme/training/certificates/{held.pk}/"
    assert acme.client_for(colleague).get(url).status_code == 404
    assert acme.client_for(acme.manager).get(url).status_code == 200
    assert globex.client_for(globex.admin).get(url).status_code == 404
    assert Client().get("/certificates/nosuchcode123/").status_code == 404
