"""The Celery app. Workers: `celery -A webapp worker -Q gpu --pool solo --concurrency 1` (and `-Q train`); exactly one
`celery -A webapp beat` runs the reconcilers (settings.CELERY_BEAT_SCHEDULE).

Video processing runs on queue `gpu`, one video at a time per process: the engine owns the device. Work is leased
(webapp/leases.py): a killed worker's video or run is re-enqueued by the reconciler once its lease expires, a
redelivered message finds its work held and does nothing, and a warm shutdown (SIGTERM) hands the video back between
batches (webapp/videos/tasks.py).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("webapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
