"""Helpers that look at the test database from PostgreSQL's side."""

from __future__ import annotations

import time

from django.db import connection


def backends() -> int:
    """Connections open to the test database, this one included."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def wait_for_backends(expected: int, timeout: float = 5.0) -> int:
    """backends() once it equals expected, or after timeout: a closed connection's server process ends a
    moment after the client hangs up."""
    deadline = time.monotonic() + timeout
    while (count := backends()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return count
