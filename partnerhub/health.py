"""GET /healthz: whether PostgreSQL, Redis and at least one Celery worker are alive.

For load balancers and the compose healthcheck: no login, nothing secret, a small JSON body,
200 when everything is fine and 503 naming what is down. A worker proves it is alive through
Celery's own event heartbeat (every 2 s), which `record_worker_heartbeat` turns into a Redis
key that expires; no worker has written it for a minute means no worker.
"""

import contextlib
import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

WORKER_KEY = "partnerhub:worker-heartbeat"
WORKER_SILENT_AFTER_SECONDS = 60


def _redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)


def record_worker_heartbeat(sender=None, **kwargs) -> None:
    """Connected to Celery's `heartbeat_sent` in the worker (partnerhub/celery.py)."""
    if settings.REDIS_URL:
        with contextlib.suppress(redis.RedisError):  # Redis is down: healthz says so
            _redis_client().set(WORKER_KEY, int(time.time()), ex=WORKER_SILENT_AFTER_SECONDS)


def _database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return f"unreachable ({type(error).__name__})"
    return None


def _redis_and_worker() -> tuple[str | None, str | None]:
    if not settings.REDIS_URL:
        return None, None  # the embedded setup: tasks run in-process
    try:
        beat = _redis_client().get(WORKER_KEY)
    except redis.RedisError as error:
        return f"unreachable ({type(error).__name__})", "unknown: Redis is unreachable"
    if beat is None:
        return None, f"no worker heartbeat in the last {WORKER_SILENT_AFTER_SECONDS} s"
    return None, None


@never_cache
def healthz(request):
    redis_problem, worker_problem = _redis_and_worker()
    problems = {"database": _database(), "redis": redis_problem, "worker": worker_problem}
    down = {name: problem for name, problem in problems.items() if problem}
    body = {
        "status": "down" if down else "ok",
        "checks": {name: problem or "ok" for name, problem in problems.items()},
    }
    return JsonResponse(body, status=503 if down else 200)
