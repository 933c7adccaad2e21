from django.core import mail
from django.test import Client
from django.utils import timezone

from partnerhub.accounts import throttle
from partnerhub.accounts.models import SignInThrottle

from ..factories import PASSWORD, MembershipFactory, UserFactory

RIGHT = {"login": "manager@acme.test", "password": PASSWORD}
WRONG = {"login": "manager@acme.test", "password": "not the password"}


def test_a_person_signs_in_with_their_email_and_lands_on_their_program(acme, client):
    response = client.post("/accounts/login/", {"login": "partner@acme.test", "password": PASSWORD})
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/o/acme/"


def test_a_person_in_two_programs_picks_one(acme, globex, client):
    MembershipFactory(tenant=globex.tenant, user=acme.manager.user, role="admin")
    client.force_login(acme.manager.user)
    page = client.get("/").content.decode()
    assert 'href="/o/acme/"' in page and 'href="/o/globex/"' in page


def test_a_person_without_a_program_is_told_so(db, client):
    client.force_login(UserFactory(email="lonely@example.com"))
    assert "You do not belong to any partner program yet." in client.get("/").content.decode()


def test_signing_up_without_an_invitation_is_closed(db, client):
    response = client.get("/accounts/signup/")
    assert b"Sign Up Closed" in response.content


def test_a_wrong_password_is_explained_and_repeated_failures_are_rate_limited(acme, client):
    wrong = {"login": "manager@acme.test", "password": "wrong password"}
    first = client.post("/accounts/login/", wrong)
    assert "not correct" in first.content.decode()
    for _ in range(5):
        response = client.post("/accounts/login/", wrong)
    assert "Too many failed sign-ins to this account: try again in" in response.content.decode()


def test_one_address_is_limited_whatever_the_account(acme, client):
    for n in range(10):
        client.post("/accounts/login/", {"login": f"nobody{n}@acme.test", "password": "x"})
    right = client.post("/accounts/login/", {"login": "manager@acme.test", "password": PASSWORD})
    assert "Too many failed login attempts" in right.content.decode()


def test_a_stranger_guessing_cannot_lock_the_owner_out(acme):
    owner = Client()
    assert owner.post("/accounts/login/", RIGHT)["Location"] == "/"
    owner.post("/accounts/logout/")
    stranger = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(8):
        stranger.post("/accounts/login/", WRONG)
    refused = stranger.post("/accounts/login/", RIGHT).content.decode()
    assert "Too many failed sign-ins to this account" in refused, "the stranger is slowed down"

    assert owner.post("/accounts/login/", RIGHT)["Location"] == "/", (
        "the owner's browser, which signed in before, is never slowed down"
    )


def test_the_slow_down_ends_and_the_right_password_passes(acme):
    stranger = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        stranger.post("/accounts/login/", WRONG)
    assert "try again in 5 seconds" in stranger.post("/accounts/login/", RIGHT).content.decode()
    SignInThrottle.objects.update(next_attempt_at=timezone.now())  # five seconds later
    assert stranger.post("/accounts/login/", RIGHT)["Location"] == "/"
    assert not SignInThrottle.objects.exists(), "a sign-in clears the account's failures"


def test_the_wait_doubles_up_to_a_minute(db):
    now = timezone.now()
    waits = []
    for _ in range(10):
        throttle.failure_record("x@example.com", now=now)
        waits.append(throttle.seconds_to_wait("x@example.com", now=now))
    assert waits == [0, 0, 0, 0, 5, 10, 20, 40, 60, 60]


def test_password_reset_sends_a_link(acme, client):
    client.post("/accounts/password/reset/", {"email": "partner@acme.test"})
    assert mail.outbox[0].to == ["partner@acme.test"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_two_factor_setup_is_offered(acme, client):
    client.force_login(acme.manager.user)
    activate = "/accounts/2fa/totp/activate/"
    assert client.get(activate)["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = client.get(activate)
    assert response.status_code == 200
    assert "Authenticator secret" in response.content.decode()


def test_the_login_page_explains_how_to_get_an_account(db, client):
    body = client.get("/accounts/login/").content.decode()
    assert "created from the invitation" in body
    assert "/accounts/signup/" not in body


def test_behind_a_trusted_proxy_each_visitor_has_their_own_address_limit(acme, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    guesser = Client(HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    for n in range(10):
        guesser.post("/accounts/login/", {"login": f"nobody{n}@acme.test", "password": "x"})
    refused = guesser.post("/accounts/login/", RIGHT).content.decode()
    assert "Too many failed login attempts" in refused
    visitor = Client(HTTP_X_FORWARDED_FOR="203.0.113.20", **proxy)
    assert visitor.post("/accounts/login/", RIGHT)["Location"] == "/", (
        "another visitor behind the same proxy is not in the guesser's bucket"
    )
