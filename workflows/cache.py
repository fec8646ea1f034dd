"""The shared cache, which never fails a request because Redis is away.

Every API request counts itself against its rate limits in the cache, and import progress
passes through it. Django's ``RedisCache`` raises when Redis refuses a connection or does not
answer within ``REDIS_CACHE_TIMEOUT``, so a frozen or stopped Redis turned every API request
into a wait and a 500. Here a call that fails is answered from this process's own memory (a
``LocMemCache``), and the process then leaves Redis alone for ``FOOTPRINT_CACHE_PAUSE_SECONDS``,
as ``workflows.broker`` does for the broker: one request waits the timeout, the others none.
Meanwhile rate limits are counted per process, and import progress shows what this process
saw; nothing the cache holds is a record, so nothing is lost.
"""

from __future__ import annotations

import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

_paused_until: dict[str, float] = {}  # server → monotonic time, shared by every thread's cache object


def _or_local(method):
    """Call Redis unless it is paused; on a failure to reach it, pause it and ask the memory."""
    name = method.__name__

    @wraps(method)
    def call(self, *args, **kwargs):
        if time.monotonic() >= _paused_until.get(self._server_key, 0.0):
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE:
                self._pause()
        return getattr(self._local, name)(*args, **kwargs)

    return call


class RedisCacheOrLocal(RedisCache):
    """Django's Redis cache, answered from this process's memory while Redis cannot be reached."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._server_key = server if isinstance(server, str) else ",".join(server)
        # LocMemCache keeps its data per name, process-wide: every thread sees the same memory.
        self._local = LocMemCache(f"footprint-cache-fallback:{self._server_key}", params)

    def _pause(self) -> None:
        seconds = settings.FOOTPRINT_CACHE_PAUSE_SECONDS
        _paused_until[self._server_key] = time.monotonic() + seconds
        self.__dict__.pop("_cache", None)  # a fresh client (and connection pool) when Redis is back
        logger.warning("The cache at %s cannot be reached; using this process's memory for %s s",
                       self._server_key, seconds, exc_info=True)

    add = _or_local(RedisCache.add)
    get = _or_local(RedisCache.get)
    set = _or_local(RedisCache.set)
    touch = _or_local(RedisCache.touch)
    delete = _or_local(RedisCache.delete)
    get_many = _or_local(RedisCache.get_many)
    has_key = _or_local(RedisCache.has_key)
    incr = _or_local(RedisCache.incr)
    set_many = _or_local(RedisCache.set_many)
    delete_many = _or_local(RedisCache.delete_many)
    clear = _or_local(RedisCache.clear)


def reset() -> None:
    """Forget every pause (tests; Redis known to be back)."""
    _paused_until.clear()
