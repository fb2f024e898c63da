"""GET /metrics: request latency from django-prometheus, the gauges read at scrape time (videos by status, frames,
queue depth from Redis), the worker's task metrics, and the bearer token when METRICS_TOKEN is set."""

from __future__ import annotations

import re

import pytest
import redis
from django.conf import settings
from prometheus_client import REGISTRY

pytestmark = pytest.mark.django_db


def _value(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{labels} not in the metrics"
    return float(match.group(1))


def test_metrics_report_videos_frames_and_request_latency(client, done_video):
    client.get("/healthz")
    text = client.get("/metrics").content.decode()
    assert _value(text, "polypscope_videos", '{status="done"}') == 1
    assert _value(text, "polypscope_frames_stored") == done_video.frame_count == 12
    assert 'django_http_requests_latency_seconds_by_view_method_count{method="GET",view="healthz"}' in text
    assert "polypscope_active_model_info{" in text


def test_queue_depth_counts_the_messages_waiting_in_redis(client, tmp_path, study, owner,
                                                          django_capture_on_commit_callbacks):
    from tests.webapp.videos.factories import make_video

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    before = _value(client.get("/metrics").content.decode(), "polypscope_queue_depth", '{queue="gpu"}')
    with django_capture_on_commit_callbacks(execute=True):  # the upload queues it on `gpu` once committed
        video = make_video(tmp_path, study, owner)  # no worker runs in this test
    try:
        after = _value(client.get("/metrics").content.decode(), "polypscope_queue_depth", '{queue="gpu"}')
        assert after == before + 1
    finally:  # take exactly this video's message back out of the shared broker
        for raw in broker.lrange("gpu", 0, -1):
            if f"[[{video.pk}]".encode() in raw or f"[{video.pk}]".encode() in raw:
                broker.lrem("gpu", 1, raw)


def test_the_worker_counts_its_tasks():
    from webapp.videos.tasks import recover_videos

    labels = {"task": "videos.recover_videos", "state": "success"}
    before = REGISTRY.get_sample_value("polypscope_tasks_total", labels) or 0
    recover_videos.apply()
    assert REGISTRY.get_sample_value("polypscope_tasks_total", labels) == before + 1
    assert REGISTRY.get_sample_value("polypscope_task_seconds_count", {"task": "videos.recover_videos"}) >= 1


def test_metrics_need_the_bearer_token_when_one_is_set(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    refused = client.get("/metrics")
    assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200
