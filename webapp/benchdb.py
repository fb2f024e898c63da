"""A fresh database for the benchmark commands (bench_loop, bench_propagation): they run the real app end to end
without touching the configured database or pytest's test database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def fresh_database(name: str) -> Iterator[None]:
    """A new, migrated PostgreSQL database `polypscope_<name>_<pid>` beside the configured one (Django's
    test-database machinery under a name of its own), dropped afterwards."""
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    old_test_name = test.get("NAME")
    test["NAME"] = f"polypscope_{name}_{os.getpid()}"
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        creation.destroy_test_db(old_name, verbosity=0)
        test["NAME"] = old_test_name
