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


@shared_task(
    name="videos.predict_images",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=5,
)
def predict_images(image_ids: list[int]) -> None:
    """The model's masks of still images (queued by the Kvasir import). Idempotent: a rerun adds nothing."""
    from webapp.videos.stills import still_images_predict  # worker-only: it runs the engine

    still_images_predict(image_ids=image_ids)
