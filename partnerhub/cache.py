"""A Redis cache that answers "miss" while Redis is unreachable, instead of failing the request.

What the cache holds can be lost: progress percentages, allauth's per-IP login counters. With
Redis down, reads miss, writes are dropped and `add` reports success (so allauth's rate-limit
lock does not refuse every login): the per-IP limits are open until Redis is back, which the
README says; the per-account sign-in slow-down lives in PostgreSQL and holds throughout.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_AFTER_SECONDS = 5  # after a failure, skip Redis for a while instead of waiting each time


class ResilientRedisCache(RedisCache):
    _down_until = 0.0

    def _attempt(self, call, *args, fallback=None, **kwargs):
        if time.monotonic() < ResilientRedisCache._down_until:
            return fallback
        try:
            return call(*args, **kwargs)
        except UNREACHABLE as error:
            ResilientRedisCache._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning("cache unreachable, carrying on without it: %s", error)
            return fallback

    def get(self, key, default=None, version=None):
        return self._attempt(super().get, key, default, version, fallback=default)

    def get_many(self, keys, version=None):
        return self._attempt(super().get_many, keys, version, fallback={})

    def has_key(self, key, version=None):
        return self._attempt(super().has_key, key, version, fallback=False)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(super().add, key, value, timeout, version, fallback=True)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(super().set_many, data, timeout, version, fallback=[])

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(super().touch, key, timeout, version, fallback=False)

    def delete(self, key, version=None):
        return self._attempt(super().delete, key, version, fallback=False)

    def delete_many(self, keys, version=None):
        return self._attempt(super().delete_many, keys, version)

    def incr(self, key, delta=1, version=None):
        return self._attempt(super().incr, key, delta, version, fallback=delta)

    def clear(self):
        return self._attempt(super().clear)
