"""What the benchmark commands (bench_loop, bench_propagation) share: a fresh database, so they run the real app
end to end without touching the configured database or pytest's test database, and the facts of the machine."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def kept_database(name: str) -> Iterator[bool]:
    """The PostgreSQL database `name` beside the configured one, created and migrated when missing, and kept
    afterwards (a benchmark's prepared data for the next run); yields whether it was just created."""
    from django.core.management import call_command

    old_name = connection.settings_dict["NAME"]
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        created = cursor.fetchone() is None
        if created:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.settings_dict["NAME"] = name
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield created
    finally:
        connection.close()
        connection.settings_dict["NAME"] = old_name


def machine_facts() -> dict:
    """What a benchmark ran on: CPU model, cores, torch threads, the ISA features that decide the CPU's speed
    (AVX2, AVX-512, native bf16: AVX512-BF16 or AMX), the accelerator. Imports torch: call it in a worker-side
    command only."""
    import torch

    from inference.runtime import cpu_has_fast_bf16

    cpu, flags = platform.processor() or "unknown", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu in ("unknown", "x86_64", ""):
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "avx2": "avx2" in flags, "avx512f": "avx512f" in flags, "avx512_bf16": "avx512_bf16" in flags,
            "amx_bf16": "amx_bf16" in flags, "native_bf16": cpu_has_fast_bf16(),
            "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"}
