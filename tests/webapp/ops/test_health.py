"""/healthz and /readyz: in-process for what the database can show, and a real server (webapp/server.py) on an empty
database with Redis unreachable for what only a broken stack shows: alive (200), not ready (503, naming why)."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


# The checks run in threads with connections of their own (django-health-check): they see committed data only.
@pytest.mark.django_db(transaction=True)
def test_readyz_is_ready_with_the_database_redis_migrations_and_the_active_model(client):
    from webapp.mlops.services import model_version_ensure_active

    model_version_ensure_active()
    response = client.get("/readyz", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body.values()) == {"OK"}
    assert {key.split("(")[0] for key in body} == {"Database", "Migrations", "ActiveModel", "RedisPing"}


@pytest.mark.django_db(transaction=True)
def test_readyz_is_unavailable_when_the_active_checkpoint_is_not_the_registered_one(client):
    from webapp.mlops.models import ModelVersion
    from webapp.mlops.services import model_version_ensure_active

    version = model_version_ensure_active()
    # The file under the registered path no longer has the registered hash (a replaced checkpoint).
    ModelVersion.objects.filter(pk=version.pk).update(sha256="0" * 64)
    response = client.get("/readyz", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert "sha256 differs" in response.json()["ActiveModel()"]


@pytest.mark.django_db(transaction=True)
def test_readyz_is_unavailable_without_an_active_model(client):
    from webapp.mlops.models import ModelVersion

    ModelVersion.objects.filter(is_active=True).update(is_active=False)
    response = client.get("/readyz", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert "run manage.py ensure_model" in response.json()["ActiveModel()"]


def test_probes_answer_a_pod_ip_as_host_and_other_paths_still_refuse_it(client, owner):
    """kubelet and Prometheus address the pod by its IP, which is not an allowed host."""
    assert client.get("/healthz", HTTP_HOST="10.42.0.17:8000").status_code == 200
    assert client.get("/metrics", HTTP_HOST="10.42.0.17:8000").status_code == 200
    client.force_login(owner)
    assert client.get("/api/studies/", HTTP_HOST="10.42.0.17:8000").status_code == 400


def test_ensure_model_registers_the_shipped_model_once(capsys):
    from django.core.management import call_command

    from webapp.mlops.models import ModelVersion

    ModelVersion.objects.all().update(is_active=False)
    call_command("ensure_model")
    first = capsys.readouterr().out
    call_command("ensure_model")
    assert first.startswith("active model: ") and capsys.readouterr().out == first
    assert ModelVersion.objects.filter(is_active=True).count() == 1


@pytest.fixture
def empty_database():
    """A fresh PostgreSQL database with no tables (a deployment whose migrate step has not run)."""
    from django.db import connection

    name = f"polypscope_unmigrated_{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    psql = ["psql", "-h", host, "-p", str(port), "-U", db["USER"], "-d", "postgres", "-c"]
    subprocess.run([*psql, f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    yield f"postgres://{db['USER']}@{host}:{port}/{name}"
    subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True, capture_output=True)


def test_a_real_server_on_an_unmigrated_database_without_redis_is_alive_but_not_ready(empty_database, tmp_path):
    from webapp.livebrowser import asgi_server, free_port

    env = dict(os.environ, DATABASE_URL=empty_database, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with asgi_server(env, tmp_path / "server.log") as base:
        with urllib.request.urlopen(base + "/healthz", timeout=10) as answer:
            assert answer.status == 200
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(urllib.request.Request(base + "/readyz", headers={"Accept": "application/json"}),
                                   timeout=30)
        body = json.loads(failed.value.read())
    assert failed.value.code == 503
    assert body["Database(alias='default')"] == "OK"  # PostgreSQL answers; the schema is what is missing
    assert "not applied: run manage.py migrate" in body["Migrations(alias='default')"]
    assert "Redis: ConnectionError" in body["RedisPing()"]
    assert body["ActiveModel()"] != "OK"
