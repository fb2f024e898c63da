"""Probes for the orchestrator (Kubernetes, compose healthchecks), built on django-health-check.

- `GET /healthz` (liveness): the process answers; nothing else is touched, so a database outage never gets a
  web pod restarted (it would not help).
- `GET /readyz` (readiness): 200 when this process can serve: PostgreSQL answers `SELECT 1`, Redis (broker, channel
  layer, cache) answers PING, every migration is applied, and the active model's checkpoint is there with the
  sha256 it was registered with. 503 with a JSON body naming what failed, e.g.
  `{"Migrations": "2 migration(s) not applied: run manage.py migrate"}`; the orchestrator stops routing to the pod
  until it passes again.

The model check hashes a local checkpoint once per (path, size, mtime) and a checkpoint in the media storage (S3)
once per version in this process; a probe every few seconds costs a stat() or nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

_HASHES: dict[tuple, str] = {}
_HASH_LOCK = threading.Lock()


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration of the code this process runs is applied (an upgrade runs the migrate Job first)."""

    alias: str = "default"

    def run(self) -> None:
        connection = connections[self.alias]
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        finally:
            connection.close()  # a probe's thread must not keep a connection (or a pooled one) for itself
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migration(s) not applied: run manage.py migrate")


def _sha256(read_chunks) -> str:
    digest = hashlib.sha256()
    for chunk in read_chunks:
        digest.update(chunk)
    return digest.hexdigest()


def _file_chunks(handle, size: int = 1024 * 1024):
    while chunk := handle.read(size):
        yield chunk


@dataclasses.dataclass
class ActiveModel(HealthCheck):
    """The active model version's checkpoint is present and unchanged (its registered sha256)."""

    def run(self) -> None:
        from webapp.mlops.models import ModelVersion

        try:
            version = ModelVersion.objects.filter(is_active=True).first()
        finally:
            connections["default"].close()
        if version is None:
            raise ServiceUnavailable("no active model version: run manage.py ensure_model (the migrate step does)")
        if version.checkpoint_path:
            path = Path(version.checkpoint_path)
            if not path.is_file():
                raise ServiceUnavailable(f"model {version.version}: checkpoint file missing")
            stat = path.stat()
            key = (str(path), stat.st_size, stat.st_mtime_ns)
            opener = path.open
        else:
            if not version.storage_name or not default_storage.exists(version.storage_name):
                raise ServiceUnavailable(f"model {version.version}: checkpoint missing from the media storage")
            key = ("storage", version.storage_name, version.sha256)

            def opener(mode):
                return default_storage.open(version.storage_name, mode)
        with _HASH_LOCK:
            known = _HASHES.get(key)
        if known is None:
            with opener("rb") as handle:
                known = _sha256(_file_chunks(handle))
            with _HASH_LOCK:
                _HASHES[key] = known
        if known != version.sha256:
            raise ServiceUnavailable(f"model {version.version}: checkpoint sha256 differs from the registered one")


@dataclasses.dataclass
class RedisPing(HealthCheck):
    """Redis (the Celery broker, the channel layer and the cache) answers PING."""

    def run(self) -> None:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=3, socket_connect_timeout=3)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise ServiceUnavailable(f"Redis: {type(exc).__name__}") from exc
        finally:
            client.close()


def readiness_checks() -> list:
    checks: list = [Database, Migrations, ActiveModel]
    if not settings.EMBEDDED:  # the embedded demo has no Redis
        checks.append(RedisPing)
    return checks


class ReadyView(HealthCheckView):
    """Readiness as JSON (HTML or text when asked for by Accept): 200, or 503 naming the failed checks."""

    def get_checks(self):
        for check in readiness_checks():
            yield check()

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:  # django-health-check answers 500; a probe failure is "unavailable"
            response.status_code = 503
        return response

    def render_to_response(self, context, **response_kwargs):
        return self.render_to_response_json(response_kwargs.get("status", 200))
