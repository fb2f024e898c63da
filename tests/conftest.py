"""Test-wide setup.

The repository root is importable (`inference`, `tests.inference.factories`). Django for the web app's and
the browser tests: real PostgreSQL and Redis, a tiny random-weight model, media in a temp dir. The
environment is set here, before Django reads its settings once; a Celery worker or ASGI server started by
a test inherits it (same test database, same Redis db, same media folder, same checkpoint).
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_TMP = Path(tempfile.mkdtemp(prefix="polypscope-webapp-tests-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
os.environ.setdefault("SECRET_KEY", "webapp-tests-only")
# A local machine: localhost defaults for the database, Redis and the hosts, plain HTTP (settings.LOCAL); the
# production settings are tested by starting Django without it (tests/webapp/ops/test_settings_production.py).
os.environ.setdefault("POLYPSCOPE_LOCAL", "1")
# The API's rate limits are tested with their own rates; every other test makes requests as fast as it can.
os.environ.setdefault("API_THROTTLE_USER", "100000/min")
os.environ.setdefault("API_THROTTLE_ANON", "100000/min")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/polypscope")
os.environ.setdefault("DATABASE_TEST_NAME", "test_polypscope")
# Redis db 14 is the tests' own (broker and channel layer), so tests never touch a dev instance's queues.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["MEDIA_ROOT"] = str(_TMP / "media")
os.environ["STATIC_ROOT"] = str(_TMP / "static")
(_TMP / "static").mkdir()
os.environ["POLYPSCOPE_CHECKPOINT"] = str(_TMP / "tiny-scrnet.pt")
os.environ["INFERENCE_FAST"] = "0"  # torch.compile costs a minute on two cores
os.environ["INFERENCE_DEVICE"] = "cpu"
os.environ["INFERENCE_BATCH"] = "4"
os.environ.setdefault("UPLOAD_MAX_BYTES", str(5 * 1024 * 1024))
# Tests log in many times a minute from one address (the browser tests too, through their web server); the one
# test of the login throttle sets its own rate (tests/webapp/accounts/test_throttle_login.py).
os.environ.setdefault("LOGIN_THROTTLE_RATE", "100000/min")
# The retraining loop at test scale: the tiny model's 32-pixel input, two short epochs, no base dataset
# (tests that need replay or the base test split make a small one and set it themselves).
os.environ["CHECKPOINT_CACHE_DIR"] = str(_TMP / "checkpoints")
os.environ["TRAINING_WORK_DIR"] = str(_TMP / "training")
os.environ.setdefault("TRAINING_BASE_DATASET", "-")
os.environ.setdefault("TRAINING_SIZE", "32")
os.environ.setdefault("TRAINING_EPOCHS", "2")
os.environ.setdefault("TRAINING_BATCH", "4")
os.environ.setdefault("TRAINING_DEVICE", "cpu")
os.environ.setdefault("GATE_BOOTSTRAP_SAMPLES", "200")


_LOCK_PATH = Path(tempfile.gettempdir()) / "polypscope-webapp-tests.lock"


def pytest_configure(config: pytest.Config) -> None:
    # One web-app test session at a time on this machine: they share the test database name (a Celery
    # worker subprocess must find it) and Redis db 14. A second session waits here until the first ends.
    lock = _LOCK_PATH.open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    config._polypscope_lock = lock  # held until the process exits

    import django

    django.setup()
    from tests.webapp.mlops.factories import write_tiny_checkpoint

    write_tiny_checkpoint(Path(os.environ["POLYPSCOPE_CHECKPOINT"]))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # PBKDF2 costs ~0.5 s a user on two busy cores; the hasher is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def media_root() -> Path:
    from django.conf import settings

    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def async_db_connections():
    """Closes the connection that Channels' database_sync_to_async opened in its worker thread, so the
    test database can be flushed and dropped afterwards."""
    yield
    import asyncio

    from asgiref.sync import sync_to_async
    from django.db import connections

    async def close() -> None:
        await sync_to_async(connections.close_all, thread_sensitive=True)()

    asyncio.run(close())


# Shared domain fixtures. The factories import Django models, so they are imported inside the fixtures:
# this conftest is loaded before Django's app registry is ready.
@pytest.fixture
def owner():
    from tests.webapp.accounts.factories import make_user

    return make_user()


@pytest.fixture
def study(owner):
    from tests.webapp.studies.factories import make_study

    return make_study(owner)


@pytest.fixture
def done_video(tmp_path, study, owner):
    """A processed 12-frame synthetic video of `study` (frame results stored by the real pipeline)."""
    from tests.webapp.videos.factories import make_video
    from webapp.videos.models import Video
    from webapp.videos.pipeline import video_process

    video = make_video(tmp_path, study, owner, frames=12)
    video_process(video_id=video.pk)
    return Video.objects.get(pk=video.pk)


# An S3 bucket (moto's S3 server in this process, over real HTTP): tests/webapp/s3.py.
@pytest.fixture(scope="module")
def s3_endpoint():
    from tests.webapp.s3 import s3_server

    yield from s3_server()


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    """A fresh bucket made the default storage; yields (boto3 client, bucket name)."""
    from tests.webapp.s3 import make_bucket

    return make_bucket(s3_endpoint, settings, tmp_path)
