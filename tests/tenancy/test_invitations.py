import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scope

from partnerhub.accounts.models import User
from partnerhub.tenancy.models import Invitation, Membership


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Post the invitation form as the tenant's admin; the e-mail goes out on commit."""

    def post(world, **data):
        client = world.client_for(world.admin)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/o/{world.tenant.slug}/members/invite/", data)

    return post


def accept_link() -> str:
    (message,) = mail.outbox
    return re.search(r"http://[^/]+(/invitations/\S+/)", message.body).group(1)


def test_an_admin_invites_a_partner_user_who_creates_an_account(acme, client, invite):
    response = invite(acme, email="Newbie@Example.com", role="partner", partner=acme.partner.pk)
    assert response.status_code == 302
    assert mail.outbox[0].to == ["newbie@example.com"]
    assert "Acme" in mail.outbox[0].subject

    link = accept_link()
    page = client.get(link)
    assert b"Create my account" in page.content
    response = client.post(
        link, {"full_name": "Nia Newbie", "password1": "tall-Tree-42", "password2": "tall-Tree-42"}
    )
    assert response["Location"] == "/o/acme/"
    user = User.objects.get(email="newbie@example.com")
    assert user.get_full_name() == "Nia Newbie"
    with scope(tenant=acme.tenant):
        assert Membership.objects.get(user=user).partner == acme.partner
    assert client.get("/o/acme/").context["partner"] == acme.partner


def test_an_existing_person_signs_in_and_accepts(acme, globex, client, invite):
    invite(globex, email="manager@acme.test", role="manager")
    link = accept_link()
    response = client.get(link)
    assert response["Location"].startswith("/accounts/login/?next=%2Finvitations%2F")

    client.force_login(acme.manager.user)
    response = client.post(link)
    assert response["Location"] == "/o/globex/"
    with scope(tenant=globex.tenant):
        assert Membership.objects.get(user=acme.manager.user).role == "manager"


def test_an_invitation_cannot_be_accepted_by_someone_else(acme, globex, client, invite):
    invite(globex, email="someone@example.com", role="manager")
    client.force_login(acme.manager.user)
    response = client.post(accept_link())
    assert response.status_code == 410
    assert b"This invitation is for someone@example.com" in response.content


def test_an_invitation_works_once(acme, client, invite):
    invite(acme, email="once@example.com", role="manager")
    link = accept_link()
    data = {"full_name": "Once", "password1": "tall-Tree-42", "password2": "tall-Tree-42"}
    client.post(link, data)
    client.logout()
    response = client.get(link)
    assert response.status_code == 410
    assert b"already been used" in response.content


def test_an_expired_invitation_is_refused(acme, client, invite):
    invite(acme, email="late@example.com", role="manager")
    with scope(tenant=acme.tenant):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(accept_link())
    assert response.status_code == 410
    assert b"expired" in response.content


def test_an_unknown_link_is_not_found(db, client):
    assert client.get("/invitations/not-a-token/").status_code == 404


def test_weak_or_mismatched_passwords_are_explained(acme, client, invite):
    invite(acme, email="weak@example.com", role="manager")
    response = client.post(
        accept_link(), {"full_name": "W", "password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    response = client.post(
        accept_link(), {"full_name": "W", "password1": "tall-Tree-42", "password2": "other-Tree-42"}
    )
    assert "The two passwords differ." in response.content.decode()
    assert not User.objects.filter(email="weak@example.com").exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "x@example.com", "role": "partner"}, "partner", "Choose the partner"),
        ({"email": "not-an-email", "role": "manager"}, "email", "Enter a valid email address."),
        ({"email": "x@example.com", "role": "overlord"}, "role", "Select a valid choice."),
    ],
)
def test_the_invitation_form_names_the_wrong_field(acme, data, field, message, invite):
    response = invite(acme, **data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not mail.outbox


def test_inviting_an_existing_member_is_explained(acme, invite):
    response = invite(acme, email="manager@acme.test", role="manager")
    assert "already a member of this program" in response.content.decode()


def test_a_partner_from_another_tenant_cannot_be_chosen(acme, globex, invite):
    response = invite(acme, email="x@example.com", role="partner", partner=globex.partner.pk)
    assert "Select a valid choice" in " ".join(response.context["form"].errors["partner"])


def test_an_admin_withdraws_an_invitation(acme, invite):
    invite(acme, email="withdrawn@example.com", role="manager")
    with scope(tenant=acme.tenant):
        invitation = Invitation.objects.get()
    client = acme.client_for(acme.admin)
    client.post(f"/o/acme/invitations/{invitation.pk}/revoke/")
    with scope(tenant=acme.tenant):
        assert not Invitation.objects.exists()


def test_an_admin_removes_a_member_but_not_themselves(acme):
    client = acme.client_for(acme.admin)
    client.post(f"/o/acme/members/{acme.manager.pk}/remove/")
    response = client.post(f"/o/acme/members/{acme.admin.pk}/remove/", follow=True)
    assert "You cannot remove your own membership." in response.content.decode()
    with scope(tenant=acme.tenant):
        assert set(Membership.objects.values_list("role", flat=True)) == {"admin", "partner"}
