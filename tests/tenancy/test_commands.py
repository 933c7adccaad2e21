import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django_scopes import scope

from incentives.models import FundRequest
from partnerhub.accounts.models import User
from partnerhub.tenancy.models import Membership, Tenant


def test_create_tenant(db, capsys):
    call_command("create_tenant", "initech", "--name", "Initech", "--time-zone", "America/Chicago")
    tenant = Tenant.objects.get(slug="initech")
    assert (tenant.name, tenant.time_zone) == ("Initech", "America/Chicago")
    assert "Created tenant initech" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["acme", "--name", "Again"], "slug: Tenant with this Slug already exists."),
        (
            ["new-one", "--name", "X", "--time-zone", "Mars/Olympus"],
            "“Mars/Olympus” is not a known",
        ),
        (["not a slug", "--name", "X"], "slug: Enter a valid “slug”"),
    ],
)
def test_create_tenant_refuses_bad_input(acme, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_tenant", *args)


def test_add_member_creates_a_verified_person_who_can_sign_in(acme, client):
    call_command(
        "add_member",
        "--tenant",
        "acme",
        "--email",
        "New.Person@Example.com",
        "--role",
        "partner",
        "--partner",
        "P-002",
        "--password",
        "s3cret-Passw0rd",
    )
    user = User.objects.get(email="new.person@example.com")
    assert EmailAddress.objects.get(user=user).verified
    with scope(tenant=acme.tenant):
        membership = Membership.objects.get(user=user)
    assert (membership.role, membership.partner.ref) == ("partner", "P-002")

    response = client.post(
        "/accounts/login/", {"login": "new.person@example.com", "password": "s3cret-Passw0rd"}
    )
    assert response.status_code == 302


def test_add_member_again_changes_nothing(acme, capsys):
    args = [
        "add_member",
        "--tenant",
        "acme",
        "--email",
        "ops@example.com",
        "--role",
        "manager",
        "--password",
        "first-Passw0rd",
    ]
    call_command(*args)
    user = User.objects.get(email="ops@example.com")
    call_command(*args[:-1], "another-Passw0rd")
    assert "Unchanged: ops@example.com as manager in acme." in capsys.readouterr().out
    user_after = User.objects.get(email="ops@example.com")
    assert user_after.password == user.password, "running again does not reset a password"
    with scope(tenant=acme.tenant):
        assert Membership.objects.filter(user=user).count() == 1


def test_add_member_links_an_existing_person_to_a_second_tenant(acme, globex):
    call_command(
        "add_member", "--tenant", "globex", "--email", "manager@acme.test", "--role", "admin"
    )
    with scope(tenant=globex.tenant):
        assert Membership.objects.get(user=acme.manager.user).role == "admin"
    with scope(tenant=acme.tenant):
        assert Membership.objects.get(user=acme.manager.user).role == "manager"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--role", "partner"], "A partner user needs --partner REF."),
        (["--role", "manager", "--partner", "P-001"], "--partner is only for --role partner."),
        (["--role", "partner", "--partner", "NOPE"], "No partner with ref “NOPE” in acme."),
    ],
)
def test_add_member_refuses_bad_input(acme, extra, message):
    with pytest.raises(CommandError, match=message):
        call_command("add_member", "--tenant", "acme", "--email", "x@example.com", *extra)


def test_add_member_refuses_a_bad_email(acme):
    with pytest.raises(CommandError, match="is not an e-mail address"):
        call_command("add_member", "--tenant", "acme", "--email", "nobody", "--role", "admin")


def test_load_demo_is_deterministic_and_idempotent(db, capsys):
    call_command("load_demo")
    first = capsys.readouterr().out
    call_command("load_demo")
    assert capsys.readouterr().out == first
    assert "partner@acme.example / partnerhub-demo" in first
    assert (
        "p-0003@partners.acme.example / partnerhub-demo    acme, partner with funds (P-0003)"
        in first
    )
    for slug in ("acme", "globex"):
        tenant = Tenant.objects.get(slug=slug)
        with scope(tenant=tenant):
            # admin, manager, the partner user, consultant, and the users of funded partners
            assert Membership.objects.exclude(user__email__contains="@partners.").count() == 4
            stages = sorted(FundRequest.objects.values_list("status", flat=True))
            assert stages == ["approved", "claimed", "paid", "rejected", "submitted"]
            paid = FundRequest.objects.get(status="paid")
            assert paid.claims.get().documents.count() == 1
