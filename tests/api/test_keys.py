"""API keys: a key reads or writes its own tenant only; revoked, unknown or clear-text keys
are refused; each key has its own rate limit; errors are problem details."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scope

from partnerhub.api.auth import PerKeyThrottle
from partnerhub.api.keys import api_key_revoke
from partnerhub.api.models import ApiKey

from .conftest import ApiClient, key_for


def test_the_command_prints_a_key_once_and_keeps_only_its_hash(acme):
    out = StringIO()
    call_command(
        "create_api_key", "--tenant", "acme", "--name", "CRM", "--scope", "read", stdout=out
    )
    key = out.getvalue().strip()
    assert key.startswith("ph_")
    with scope(tenant=acme.tenant):
        stored = ApiKey.objects.get()
    assert key not in (stored.key_hash, stored.prefix) and stored.prefix in key
    response = ApiClient(key).get("/api/v1/partners/")
    assert response.status_code == 200
    with scope(tenant=acme.tenant):
        assert ApiKey.objects.get().last_used_at is not None


def test_a_key_sees_its_tenants_partners_only(acme, globex, acme_api, globex_api):
    acme_refs = [p["ref"] for p in acme_api.get("/api/v1/partners/").json()["results"]]
    assert sorted(acme_refs) == ["P-001", "P-002", "P-003"]
    names = {p["name"] for p in globex_api.get("/api/v1/partners/").json()["results"]}
    assert names == {"Globex P-001", "Globex P-002", "Globex P-003"}
    assert acme_api.get("/api/v1/partners/P-001/").json()["name"] == "Acme P-001"
    assert acme_api.get("/api/v1/partners/NOPE/").status_code == 404


@pytest.mark.parametrize(
    ("key", "status", "detail"),
    [
        (None, 401, "Send an API key"),
        ("ph_000000000000_wrong", 401, "The API key is unknown or revoked."),
        ("not-a-key", 401, "The API key is unknown or revoked."),
    ],
)
def test_calls_without_a_good_key_get_401_as_a_problem(db, key, status, detail):
    response = ApiClient(key).get("/api/v1/partners/")
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and detail in body["detail"]
    assert body["type"].startswith("https://")


def test_a_revoked_key_is_refused_at_once(acme):
    key = key_for(acme)
    with scope(tenant=acme.tenant):
        api_key_revoke(api_key=ApiKey.objects.get())
    assert ApiClient(key).get("/api/v1/partners/").status_code == 401


def test_a_read_key_cannot_write(acme, acme_reader):
    response = acme_reader.put("/api/v1/partners/P-009/", {"name": "New", "type": "msp"})
    assert response.status_code == 403
    assert "can only read" in response.json()["detail"]
    with scope(tenant=acme.tenant):
        assert not acme.partners["P-001"].__class__.objects.filter(ref="P-009").exists()


def test_a_key_sent_over_plain_http_is_refused(acme):
    key = key_for(acme)
    response = ApiClient(key).client.get(
        "/api/v1/partners/", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 401
    assert "HTTPS only" in response.json()["detail"]


def test_each_key_has_its_own_rate_limit_with_retry_after(acme, monkeypatch):
    monkeypatch.setattr(PerKeyThrottle, "THROTTLE_RATES", {"api_key": "3/min"})
    busy, quiet = ApiClient(key_for(acme)), ApiClient(key_for(acme, name="LMS"))
    answers = [busy.get("/api/v1/partners/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = busy.get("/api/v1/partners/")
    assert limited["Content-Type"] == "application/problem+json"
    assert 0 < int(limited["Retry-After"]) <= 60
    assert quiet.get("/api/v1/partners/").status_code == 200


def test_revoked_keys_keep_their_last_use(acme):
    key = key_for(acme)
    ApiClient(key).get("/api/v1/partners/")
    with scope(tenant=acme.tenant):
        api_key = ApiKey.objects.get()
        api_key_revoke(api_key=api_key)
        api_key.refresh_from_db()
        assert api_key.revoked_at <= timezone.now() and api_key.last_used_at is not None
