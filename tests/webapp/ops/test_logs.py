"""Logs with ids: each request gets an X-Request-ID (the proxy's, or a new one) that its JSON log lines carry."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest

from webapp.ops.logs import logging_config

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """The production logging configuration (LOG_FORMAT=json), writing to a buffer."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    config = logging_config(level="INFO", json_format=True)
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    yield stream
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_request_s_log_lines_carry_the_proxy_s_request_id(client, owner, json_log):
    client.force_login(owner)
    response = client.get("/api/studies/987654/", HTTP_X_REQUEST_ID="req-42.a")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-42.a"
    (line,) = [entry for entry in _lines(json_log) if entry["logger"] == "django.request"]
    assert line["request_id"] == "req-42.a" and line["level"] == "WARNING"
    assert "/api/studies/987654/" in line["message"] and line["time"]


def test_a_request_without_a_usable_id_gets_a_new_one(client):
    unusable = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith a newline")
    assert unusable["X-Request-ID"] != "bad id\nwith a newline" and len(unusable["X-Request-ID"]) == 32
    assert client.get("/healthz")["X-Request-ID"] != unusable["X-Request-ID"]


def test_a_task_s_log_lines_carry_its_task_id(json_log):
    from webapp.celery import app

    @app.task(name="tests.ops.log_in_task")
    def log_in_task() -> None:
        logging.getLogger("webapp.test").info("inside the task")

    assert log_in_task.apply(task_id="task-7").successful()
    logging.getLogger("webapp.test").info("outside any task")
    lines = {e["message"]: e for e in _lines(json_log)}
    assert lines["inside the task"]["task_id"] == "task-7"
    assert lines["outside any task"]["task_id"] == "" and lines["outside any task"]["request_id"] == ""
