"""A real Celery worker process for tests, on the test database, the tests' Redis db and media folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
# Worker start (Django + torch import) takes ~10 s on two busy cores; processing 20 tiny frames < 1 s.
WORKER_TIMEOUT_S = 120


def start_worker(log_path: Path, queues: str = "gpu", env: dict[str, str] | None = None) -> subprocess.Popen:
    """A worker on `queues` (comma-separated); env: extra environment (e.g. a short training lease)."""
    db = connection.settings_dict  # the test database pytest-django created, e.g. test_polypscope
    env = dict(os.environ, PYTHONPATH=str(ROOT),
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}", **(env or {}))
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "webapp", "worker", "-Q", queues, "--pool", "solo",
         "--concurrency", "1", "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log_path.open("ab"), stderr=subprocess.STDOUT,
    )


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()  # warm shutdown
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
