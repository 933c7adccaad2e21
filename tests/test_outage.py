"""Redis is not in the login path: with the cache and the broker unreachable, people still sign
in and read every page; an action that needs the queue says so and leaves nothing half-made.

"Unreachable" is real: the cache and the broker are pointed at a port where nothing listens.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_scopes import scope

from metrics.models import MetricImport
from partnerhub.cache import ResilientRedisCache
from partnerhub.celery import app as celery_app
from partnerhub.queue import QUEUE_UNAVAILABLE
from partnerhub.tenancy.models import Invitation
from tiers.models import RecalculationRun

from .conftest import wait_for
from .factories import PASSWORD
from .tiers.conftest import load

NOWHERE = "redis://127.0.0.1:6399/0"

# Committed transactions, so the queue is asked for real when a view's transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "partnerhub.cache.ResilientRedisCache",
            "LOCATION": NOWHERE,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.REDIS_URL = NOWHERE
    ResilientRedisCache._down_until = 0.0
    conf = celery_app.conf
    previous = conf.broker_url, conf.broker_write_url, conf.task_always_eager
    conf.broker_url = conf.broker_write_url = NOWHERE
    conf.task_always_eager = False
    celery_app._after_fork()  # drop the connection pools built for the real broker
    yield
    conf.broker_url, conf.broker_write_url, conf.task_always_eager = previous
    celery_app._after_fork()
    ResilientRedisCache._down_until = 0.0


def test_people_sign_in_with_redis_down(acme, client, redis_down):
    response = client.post("/accounts/login/", {"login": "manager@acme.test", "password": PASSWORD})
    assert response["Location"] == "/"
    wrong = Client().post("/accounts/login/", {"login": "admin@acme.test", "password": "wrong"})
    assert "not correct" in wrong.content.decode()


def test_read_pages_answer_with_redis_down(acme, redis_down):
    load(acme)
    with scope(tenant=acme.tenant):
        record = MetricImport.objects.create(
            tenant=acme.tenant, file_name="a.csv", size_bytes=1, status="running"
        )
    client = acme.client_for(acme.admin)
    for path in (
        "/o/acme/",
        "/o/acme/partners/",
        f"/o/acme/metrics/imports/{record.pk}/",
        "/o/acme/metrics/imports/",
        "/o/acme/tiers/",
        "/o/acme/training/catalog/",
    ):
        assert client.get(path).status_code == 200, path
    assert acme.client_for(acme.partner_user).get("/o/acme/").status_code == 200


def stored_files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


def test_an_upload_with_the_queue_down_starts_nothing_and_keeps_nothing(acme, redis_down):
    stored_before = stored_files()
    client = acme.client_for(acme.manager)
    upload = SimpleUploadedFile("values.csv", b"partner_ref,metric,period,value\n")
    response = client.post("/o/acme/metrics/imports/", {"file": upload})
    assert QUEUE_UNAVAILABLE in response.content.decode()
    with scope(tenant=acme.tenant):
        assert not MetricImport.objects.exists(), "no record waits for a task that never comes"
    assert stored_files() == stored_before, "the uploaded file is not kept"


def test_recalculate_now_with_the_queue_down_says_so(acme, redis_down):
    program = load(acme)
    client = acme.client_for(acme.admin)
    response = client.post(f"/o/acme/tiers/programs/{program.pk}/run/", follow=True)
    assert QUEUE_UNAVAILABLE in response.content.decode()
    with scope(tenant=acme.tenant):
        assert not RecalculationRun.objects.exists()


def test_an_invitation_with_the_queue_down_is_refused_whole(acme, redis_down):
    client = acme.client_for(acme.admin)
    response = client.post(
        "/o/acme/members/invite/", {"email": "new@example.com", "role": "manager"}
    )
    assert QUEUE_UNAVAILABLE in response.content.decode()
    with scope(tenant=acme.tenant):
        assert not Invitation.objects.filter(email="new@example.com").exists()
    assert mail.outbox == []


def test_healthz_names_what_is_down(db, client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "down",
        "checks": {
            "database": "ok",
            "redis": "unreachable (ConnectionError)",
            "worker": "unknown: Redis is unreachable",
        },
    }


@pytest.mark.worker
def test_healthz_is_ok_with_a_live_worker_and_not_without(client, worker_process):
    from partnerhub.health import WORKER_KEY, _redis_client

    _redis_client().delete(WORKER_KEY)
    silent = client.get("/healthz")
    assert silent.status_code == 503
    assert silent.json()["checks"]["worker"] == "no worker heartbeat in the last 60 s"

    worker_process()
    assert wait_for(lambda: client.get("/healthz").status_code == 200, seconds=30)
    assert client.get("/healthz").json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "worker": "ok"},
    }


def test_the_resilient_cache_is_an_ordinary_cache_while_redis_is_up(settings):
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "partnerhub.cache.ResilientRedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,  # the real Redis the tests use
            "KEY_PREFIX": "resilient-test",
        }
    }
    cache = caches["default"]
    cache.delete_many(["a", "b"])
    assert cache.add("a", 1) is True and cache.add("a", 2) is False, "add is not blind"
    assert cache.incr("a") == 2 and cache.get("a") == 2
    cache.set("b", {"phase": "reading"})
    assert cache.get_many(["a", "b"]) == {"a": 2, "b": {"phase": "reading"}}
    cache.delete_many(["a", "b"])
    assert cache.get("a", "gone") == "gone"
