"""Settings for the test suite: production settings against real PostgreSQL and Redis."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-" + "k" * 50)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/partnerhub")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from partnerhub.settings import *  # noqa: F403
from partnerhub.settings import STORAGES

SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test starts from an empty cache (rate limits, sessions); Redis is exercised by the broker.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tasks run in-process unless a test starts a real worker (tests/test_worker.py), or is that
# worker (tests/test_jobs.py starts one as a process).
CELERY_TASK_ALWAYS_EAGER = os.environ.get("TEST_WORKER_PROCESS") != "1"
# That worker sends the tasks it starts (a split run's chunks) to its own test's queue.
if "TEST_WORKER_QUEUE" in os.environ:
    CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_WORKER_QUEUE"]

import tempfile  # noqa: E402

# A worker process started by a test (tests/test_jobs.py) is handed the same folder.
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="partnerhub-test-media-")
