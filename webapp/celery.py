"""The Celery app. Workers: `celery -A webapp worker -Q gpu --pool solo --concurrency 1` (and `-Q train`); exactly one
`celery -A webapp beat` runs the reconcilers (settings.CELERY_BEAT_SCHEDULE).

Video processing runs on queue `gpu`, one video at a time per process: the engine owns the device. Work is leased
(webapp/leases.py): a killed worker's video or run is re-enqueued by the reconciler once its lease expires, a
redelivered message finds its work held and does nothing, and a warm shutdown (SIGTERM) hands the video back between
batches (webapp/videos/tasks.py).
"""

from __future__ import annotations

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("webapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _json_logs(**kwargs) -> None:
    """Configure the worker's logging from settings.LOGGING (one JSON object a line with the task id,
    webapp/ops/logs.py) instead of Celery's text format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


if os.environ.get("LOG_FORMAT", "text") == "json":  # settings.LOG_FORMAT; Celery's own format otherwise
    setup_logging.connect(_json_logs, weak=False)
