"""Fixtures of the tests that start real worker processes (test_reliability*.py)."""

from __future__ import annotations

import subprocess

import pytest


@pytest.fixture
def procs():
    """The worker and beat processes a test starts; those still running are stopped afterwards."""
    from tests.webapp.videos.worker import stop_worker

    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            stop_worker(proc)


@pytest.fixture
def empty_broker():
    """The tests' own Redis database emptied first: no stale task from an earlier test reaches a worker."""
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
