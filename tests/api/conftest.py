"""API calls as an integration makes them: over HTTPS, with a key of one tenant."""

import pytest
from django.test import Client
from django_scopes import scope

from partnerhub.api.keys import api_key_create

from ..incentives.conftest import rebates  # noqa: F401 - the incentives fixture, shared


class ApiClient:
    def __init__(self, key: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def get(self, path, data=None, **headers):
        return self.client.get(path, data, secure=True, headers={**self.headers, **headers})

    def post(self, path, body, **headers):
        return self.client.post(
            path, body, content_type="application/json", secure=True,
            headers={**self.headers, **headers},
        )  # fmt: skip

    def put(self, path, body, **headers):
        return self.client.put(
            path, body, content_type="application/json", secure=True,
            headers={**self.headers, **headers},
        )  # fmt: skip


def key_for(world, scope_name="write", name="CRM sync") -> str:
    with scope(tenant=world.tenant):
        return api_key_create(tenant=world.tenant, name=name, scope=scope_name).secret


@pytest.fixture
def acme_api(acme):
    return ApiClient(key_for(acme))


@pytest.fixture
def acme_reader(acme):
    return ApiClient(key_for(acme, "read", name="BI export"))


@pytest.fixture
def globex_api(globex):
    return ApiClient(key_for(globex))
