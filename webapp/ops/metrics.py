"""Prometheus metrics. The web process serves them at `GET /metrics` (django-prometheus: request latency by view
and method, responses by status, plus the collectors below); a worker serves its own on METRICS_PORT (settings:
django-prometheus' PROMETHEUS_METRICS_EXPORT_PORT) when that is set.

Read from the database and Redis at each scrape of the web process (in the request), so that every web replica
reports the same numbers and nothing is lost with a restarted worker:
    polypscope_queue_depth{queue}            messages waiting in each Celery queue (gpu, train), Redis list lengths
    polypscope_videos{status}                videos by status (queued, processing, done, failed, cancelled)
    polypscope_frames_stored                 frames stored over all videos (a counter in practice: rate() of it is
                                             the installation's frames per second; it drops when a video is deleted
                                             or reprocessed)
    polypscope_processing_fps                frames per second of the ranges processing now, summed (all workers)
    polypscope_training_runs{status}         fine-tuning runs by status
    polypscope_active_model_info{version,sha256}  1 for the active model version
Counted by the worker process that ran the task (Celery signals; workers run one process each: `--pool threads`
--concurrency 1 in deploy/, or `--pool solo`):
    polypscope_task_seconds{task}            a histogram of task durations (videos, ranges, training, propagation)
    polypscope_tasks_total{task,state}       tasks ended, by state (success, failure, retry)
"""

from __future__ import annotations

import hmac
import logging
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import Counter, Histogram
from prometheus_client.core import REGISTRY, GaugeMetricFamily

log = logging.getLogger(__name__)

QUEUES = ("gpu", "train")
# kombu's Redis transport keeps a queue's messages of priority p > 0 in a list named "<queue>\x06\x16<p>".
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")

TASK_SECONDS = Histogram(
    "polypscope_task_seconds", "Duration of Celery tasks in this worker", ["task"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200),
)
TASKS = Counter("polypscope_tasks", "Celery tasks ended in this worker, by state", ["task", "state"])
_started: dict[str, float] = {}


class PolypscopeCollector:
    """Gauges read at scrape time from PostgreSQL and Redis (module docstring)."""

    def describe(self):
        """The families' names without reading anything (registering must not query a database)."""
        for name in ("polypscope_videos", "polypscope_frames_stored", "polypscope_processing_fps",
                     "polypscope_training_runs", "polypscope_active_model_info", "polypscope_queue_depth"):
            yield GaugeMetricFamily(name, name)

    def collect(self):
        from django.db.models import Count, Sum

        from webapp.mlops.models import ModelVersion, TrainingRun
        from webapp.videos.models import Video, VideoRange

        try:
            videos = GaugeMetricFamily("polypscope_videos", "Videos by status", labels=["status"])
            for row in Video.objects.values("status").annotate(n=Count("id")).order_by():
                videos.add_metric([row["status"]], row["n"])
            yield videos
            sums = Video.objects.aggregate(frames=Sum("frames_done"))
            yield GaugeMetricFamily("polypscope_frames_stored", "Frames stored over all videos",
                                    value=sums["frames"] or 0)
            fps = VideoRange.objects.filter(status="processing").aggregate(fps=Sum("processing_fps"))["fps"] or 0
            yield GaugeMetricFamily("polypscope_processing_fps", "Frames per second of the videos processing now",
                                    value=fps)
            runs = GaugeMetricFamily("polypscope_training_runs", "Fine-tuning runs by status", labels=["status"])
            for row in TrainingRun.objects.values("status").annotate(n=Count("id")).order_by():
                runs.add_metric([row["status"]], row["n"])
            yield runs
            info = GaugeMetricFamily("polypscope_active_model_info", "The active model version",
                                     labels=["version", "sha256"])
            active = ModelVersion.objects.filter(is_active=True).first()
            if active is not None:
                info.add_metric([active.version, active.sha256], 1)
            yield info
        except Exception:  # noqa: BLE001 - a scrape must answer even with the database away (its gauges go missing)
            log.warning("metrics: the database could not be read", exc_info=True)
        if settings.CELERY_BROKER_URL.startswith("redis"):
            yield from _queue_depths(settings.CELERY_BROKER_URL)


def _queue_depths(url: str):
    import redis

    depth = GaugeMetricFamily("polypscope_queue_depth", "Messages waiting in each Celery queue", labels=["queue"])
    client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
    try:
        for queue in QUEUES:
            depth.add_metric([queue], sum(client.llen(queue + suffix) for suffix in _PRIORITY_SUFFIXES))
        yield depth
    except redis.RedisError:
        log.warning("metrics: Redis could not be read", exc_info=True)
    finally:
        client.close()


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics in Prometheus' text format; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`."""
    if settings.METRICS_TOKEN:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), settings.METRICS_TOKEN.encode()):
            response = JsonResponse({"detail": "a bearer token is required for the metrics",
                                     "code": "not_authenticated"}, status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return ExportToDjangoView(request)


def _task_started(task_id=None, task=None, **kwargs) -> None:
    _started[task_id] = time.monotonic()


def _task_ended(task_id=None, task=None, state=None, **kwargs) -> None:
    began = _started.pop(task_id, None)
    name = getattr(task, "name", "unknown")
    if began is not None:
        TASK_SECONDS.labels(name).observe(time.monotonic() - began)
    TASKS.labels(name, (state or "unknown").lower()).inc()


_registered = False


def register() -> None:
    """Once per process: the Celery task signals, and the scrape-time collector where GET /metrics serves it (a
    process with METRICS_PORT, a worker, exports its own task metrics only: the gauges are the web's)."""
    global _registered
    if _registered:
        return
    _registered = True
    from celery.signals import task_postrun, task_prerun

    if not settings.PROMETHEUS_METRICS_EXPORT_PORT:
        REGISTRY.register(PolypscopeCollector())
    task_prerun.connect(_task_started, weak=False)
    task_postrun.connect(_task_ended, weak=False)
