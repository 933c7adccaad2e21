"""Two tenants whose partners share refs, each with an admin, a manager and a partner user.

Tests get `acme` and `globex` (the same shape), and assert the other one is untouched.
"""

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django_scopes import scope, scopes_disabled

from partnerhub.celery import app as celery_app
from partnerhub.tenancy.models import Membership, Role, Tenant
from partners.models import Partner

from .factories import MembershipFactory, PartnerFactory, TenantFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SHARED_REFS = ("P-001", "P-002", "P-003")


@dataclass
class TenantWorld:
    tenant: Tenant
    partners: dict[str, Partner]
    admin: Membership
    manager: Membership
    partner_user: Membership

    @property
    def partner(self) -> Partner:
        """The partner that `partner_user` works for."""
        return self.partner_user.partner

    @property
    def other_partner(self) -> Partner:
        return self.partners["P-002"]

    def client_for(self, membership: Membership) -> Client:
        client = Client()
        client.force_login(membership.user)
        return client


def make_world(slug: str, name: str) -> TenantWorld:
    tenant = TenantFactory(slug=slug, name=name)
    with scope(tenant=tenant):
        manager = MembershipFactory(
            tenant=tenant, role=Role.MANAGER, user=UserFactory(email=f"manager@{slug}.test")
        )
        partners = {
            ref: PartnerFactory(
                tenant=tenant, ref=ref, name=f"{name} {ref}", account_manager=manager
            )
            for ref in SHARED_REFS
        }
        admin = MembershipFactory(
            tenant=tenant, role=Role.ADMIN, user=UserFactory(email=f"admin@{slug}.test")
        )
        partner_user = MembershipFactory(
            tenant=tenant,
            role=Role.PARTNER,
            partner=partners["P-001"],
            user=UserFactory(email=f"partner@{slug}.test"),
        )
    return TenantWorld(tenant, partners, admin, manager, partner_user)


# The day the suite lives on: tests of windows, quarters and "has not ended" read the same
# calendar whenever they run. Tests with a real worker process or a real browser keep real
# time: neither the worker nor Chromium can be moved, and their clocks must agree with ours.
SUITE_NOW = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def calendar(request):
    if request.node.get_closest_marker("worker") or request.node.get_closest_marker("browser"):
        yield
        return
    with time_machine.travel(SUITE_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate limits and other cached state never carry over from one test to the next."""
    cache.clear()


@pytest.fixture
def acme(db) -> TenantWorld:
    return make_world("acme", "Acme")


@pytest.fixture
def globex(db) -> TenantWorld:
    return make_world("globex", "Globex")


@pytest.fixture
def unscoped():
    """For assertions that look at every tenant's rows at once."""
    with scopes_disabled():
        yield


@pytest.fixture
def redis_worker(settings, worker_id, request):
    """An in-process worker consuming its own queue on the Redis broker from REDIS_URL.

    Two threads when the test is marked `two_worker_threads`, for tasks that must overlap."""
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "tests need the real broker"
    queue = f"partnerhub-test-{worker_id}"
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        threads = request.node.get_closest_marker("two_worker_threads") is not None
        with start_worker(
            celery_app,
            pool="threads" if threads else "solo",
            concurrency=2 if threads else 1,
            perform_ping_check=False,
            queues=[queue],
            shutdown_timeout=10,
        ) as worker:
            yield worker
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous


def wait_for(condition, *, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


ROOT = Path(__file__).resolve().parent.parent


class WorkerProcess:
    """`celery worker` with one prefork pool process, on its own queue and the test database."""

    def __init__(self, queue: str):
        self.queue = queue
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        database = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "TEST_WORKER_PROCESS": "1",
            "TEST_WORKER_QUEUE": self.queue,
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}",
            "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "JOB_HEARTBEAT_SECONDS": "0.5",
            "JOB_STALE_SECONDS": "3",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "partnerhub",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}@%h",
                "-l",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def pool_processes(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill_pool_process(self) -> None:
        assert wait_for(self.pool_processes), "the worker has no pool process"
        for pid in self.pool_processes():
            os.kill(pid, signal.SIGKILL)

    def kill_everything(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def worker_process():
    """Tasks published by this test go to a queue that only its worker process consumes."""
    queue = f"partnerhub-process-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    workers = []

    def start_worker() -> WorkerProcess:
        workers.append(WorkerProcess(queue).start())
        return workers[-1]

    yield start_worker
    for worker in workers:
        worker.stop()
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
