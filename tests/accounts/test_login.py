from django.core import mail

from ..factories import PASSWORD, MembershipFactory, UserFactory


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
    assert (
        response.status_code == 429 or "Too many failed login attempts" in response.content.decode()
    )


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
