"""Password guessing meets 429 (issue 11: 40 wrong passwords in 9 s, no 429), counted in Redis, the cache every
web process shares (settings.CACHES)."""

from __future__ import annotations

import hashlib
import time
import uuid

import pytest
from django.core.cache import cache
from django.test import Client

from tests.webapp.accounts.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def rate(settings):
    settings.LOGIN_THROTTLE_RATE = "10/min"  # the production default (the tests' conftest raises it)
    return 10


def test_the_counts_live_in_redis_where_every_web_process_sees_them(rate, settings):
    import redis

    user = make_user(username=f"shared-{uuid.uuid4().hex[:8]}")
    Client().post("/api/auth/token/", {"username": user.username, "password": "x"}, content_type="application/json")
    server = redis.Redis.from_url(settings.REDIS_URL)
    who = hashlib.sha256(user.username.encode()).hexdigest()[:16]
    keys = server.keys(cache.make_key(f"throttle_login_*:{who}"))  # what another process's cache reads
    assert len(keys) == 1 and 0 < server.ttl(keys[0]) <= 60


@pytest.mark.parametrize("url", ["/api/auth/token/", "/api/auth/session/"])
def test_forty_wrong_passwords_meet_429_after_the_rate(rate, url):
    user = make_user(username=f"victim-{uuid.uuid4().hex[:8]}")  # a fresh name: a fresh count
    client = Client()
    answers, started = [], time.monotonic()
    for _ in range(40):
        answers.append(client.post(url, {"username": user.username, "password": "guess"},
                                   content_type="application/json"))
    elapsed = time.monotonic() - started
    codes = [a.status_code for a in answers]
    print(f"\n{url}: 40 wrong passwords in {elapsed:.1f} s -> {codes.count(400)} x 400, {codes.count(429)} x 429")
    assert codes == [400] * rate + [429] * (40 - rate)
    refused = answers[-1]
    assert refused.json()["detail"].startswith("Request was throttled.") and int(refused["Retry-After"]) > 0
    # Even the right password waits: the guesser cannot tell when they found it.
    right = client.post(url, {"username": user.username, "password": PASSWORD}, content_type="application/json")
    assert right.status_code == 429


def test_another_username_or_the_sessions_get_are_not_throttled(rate):
    guessed, other = make_user(username=f"g-{uuid.uuid4().hex[:8]}"), make_user(username=f"o-{uuid.uuid4().hex[:8]}")
    client = Client()
    for _ in range(rate + 1):
        client.post("/api/auth/session/", {"username": guessed.username, "password": "x"},
                    content_type="application/json")
    assert client.post("/api/auth/session/", {"username": guessed.username, "password": "x"},
                       content_type="application/json").status_code == 429
    for _ in range(rate + 5):
        assert client.get("/api/auth/session/").status_code == 401  # who is logged in: not a login
    login = client.post("/api/auth/session/", {"username": other.username, "password": PASSWORD},
                        content_type="application/json")
    assert login.status_code == 200
