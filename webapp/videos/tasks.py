"""Celery tasks for videos: take ids, call a service, own the retry policy."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from webapp.videos.services import video_fail, video_process


@shared_task(
    name="videos.process_video",
    acks_late=True,  # a worker killed mid-video leaves the message to another worker, which resumes
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),  # the database went away for a moment
    retry_backoff=5,
    max_retries=5,
)
def process_video(video_id: int) -> None:
    try:
        video_process(video_id=video_id)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        video_fail(video_id=video_id, message=f"processing failed: {type(exc).__name__}: {exc}")
        raise
