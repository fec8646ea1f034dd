"""The shared cache with Redis frozen or stopped (issue 15, faults): every API request counts
itself against its rate limits in the cache, so a cache that raised or hung would fail or
freeze the whole API. Against a real private redis-server: one call waits the timeout, the
rest are answered from the process's memory until the pause ends, then Redis is used again;
the Designated Officer API's limit still holds."""

import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.conftest import skip_or_fail
from tests.support.auth import token_client
from tests.support.token_security import DO_CASES
from workflows import cache as shared_cache

TIMEOUT = 0.3  # REDIS_CACHE_TIMEOUT
PAUSE = 1.0    # FOOTPRINT_CACHE_PAUSE_SECONDS


@pytest.fixture
def redis_server(tmp_path):
    from tests.support.fault_stack import REDIS_SERVER, Redis

    if not REDIS_SERVER:
        skip_or_fail("redis-server is not installed")
    server = Redis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def redis_cache(redis_server, settings):
    """The project's cache on the private Redis, as production configures it."""
    settings.FOOTPRINT_CACHE_PAUSE_SECONDS = PAUSE
    settings.CACHES = {"default": {
        "BACKEND": "workflows.cache.RedisCacheOrLocal", "LOCATION": redis_server.cache_url,
        "OPTIONS": {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT}}}
    shared_cache.reset()
    yield redis_server
    shared_cache.reset()


def _timed(call):
    started = time.monotonic()
    value = call()
    return value, time.monotonic() - started


def test_a_frozen_cache_costs_one_timeout_then_nothing_until_the_pause_ends(redis_cache):
    cache.set("kept", "in redis")
    redis_cache.freeze()
    try:
        _, first = _timed(lambda: cache.set("count", 1))
        assert TIMEOUT * 0.8 <= first < TIMEOUT * 4, "one call waits the timeout, not for ever"
        _, hundred = _timed(lambda: [cache.incr("count") for _ in range(100)])
        assert hundred < 0.2, "the others are answered from memory without asking Redis"
        assert cache.get("count") == 101
        assert cache.get("kept") is None, "Redis's own keys are out of reach meanwhile"
    finally:
        redis_cache.thaw()
    time.sleep(PAUSE + 0.1)
    assert cache.get("kept") == "in redis", "asked again once the pause is over"
    cache.set("back", 1)
    assert redis_cache.ping()


def test_a_stopped_cache_answers_from_memory_and_catches_no_error(redis_cache):
    redis_cache.stop()
    assert cache.add("lock", 1) is True and cache.add("lock", 1) is False
    assert cache.get_many(["lock", "nothing"]) == {"lock": 1}
    cache.set_many({"a": 1, "b": 2})
    assert cache.has_key("a") and cache.incr("b", 3) == 5
    cache.delete_many(["a", "b"])
    assert cache.get("a") is None and cache.touch("lock") is True
    cache.delete("lock")
    cache.clear()
    redis_cache.start()


@pytest.mark.parametrize("fault", ["frozen", "stopped"])
def test_the_do_api_limit_still_holds_with_redis_stopped_or_frozen(org, settings, redis_cache, fault):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"designated-officer": "5/minute",
                                                          "user": "100000/minute", "anon": "100000/minute"}}
    api = token_client(APIClient(), org.designated_officer)
    if fault == "frozen":
        redis_cache.freeze()
    else:
        redis_cache.stop()
    try:
        started = time.monotonic()
        statuses = [api.get(DO_CASES).status_code for _ in range(6)]
        elapsed = time.monotonic() - started
    finally:
        if fault == "frozen":
            redis_cache.thaw()
    assert statuses == [200] * 5 + [429], "no 500, and the limit counted in this process"
    assert elapsed < 5 * TIMEOUT + 3, "one wait for the cache, not one per call"
