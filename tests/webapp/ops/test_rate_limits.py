"""The API's rate limit per user (settings API_THROTTLE_USER, counted in Redis through Django's cache): over it,
429 with Retry-After and the API's JSON error; another user is not affected."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.throttling import UserRateThrottle

from tests.webapp.accounts.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_a_minute(monkeypatch):
    # DRF reads the rates once, when it loads; the tests' own rate (conftest) is far above this.
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "3/min"})
    yield
    cache.clear()


def test_a_user_over_the_rate_gets_429_and_others_do_not(api_client, three_a_minute):
    busy, other = make_user(), make_user()
    api_client.force_authenticate(busy)
    assert [api_client.get("/api/studies/").status_code for _ in range(3)] == [200, 200, 200]
    refused = api_client.get("/api/studies/")
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"] and int(refused["Retry-After"]) > 0
    api_client.force_authenticate(other)
    assert api_client.get("/api/studies/").status_code == 200
