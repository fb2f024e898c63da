"""The Celery app. Workers: `celery -A webapp worker -Q gpu --pool solo --concurrency 1`.

Video processing runs on queue `gpu`, one video at a time per process: the engine owns the device.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("webapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
