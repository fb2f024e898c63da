"""Celery tasks for videos: take ids, call a service, own the retry policy.

Work is never stranded, never done twice (webapp/videos/leases.py): process_video claims its video with a lease, so
a redelivered or duplicated message does nothing while the video is held; recover_videos (Celery beat, and each
worker as it starts) re-enqueues videos nobody holds; a warm shutdown hands the video back between batches.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready, worker_shutting_down
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError

from webapp.leases import new_token
from webapp.videos.leases import request_stop, videos_to_recover
from webapp.videos.services import video_fail, video_hand_back, video_process

log = logging.getLogger(__name__)


@shared_task(
    name="videos.process_video",
    bind=True,
    # A worker killed mid-video leaves the message unacknowledged; the lease decides who works on the video, so a
    # redelivered copy finds it held (or done) and does nothing, and the reconciler re-enqueues an abandoned one.
    acks_late=True,
    reject_on_worker_lost=True,
)
def process_video(self, video_id: int, token: str | None = None) -> None:
    token = token or new_token()  # kept across retries: a retry takes the lease back at once
    try:
        video_process(video_id=video_id, token=token)
    except (OperationalError, InterfaceError) as exc:  # the database went away
        retries = self.request.retries
        if retries < settings.VIDEO_TASK_MAX_RETRIES:
            raise self.retry(exc=exc, countdown=settings.VIDEO_RETRY_BACKOFF_S * 2**retries,
                             args=(video_id,), kwargs={"token": token}) from exc
        _give_back(video_id, token, exc)
    except Exception as exc:
        video_fail(video_id=video_id, message=f"processing failed: {type(exc).__name__}: {exc}", token=token)
        raise


def _give_back(video_id: int, token: str, exc: Exception) -> None:
    """The last retry: queue the video again (counted toward VIDEO_MAX_ATTEMPTS), never leave it processing. With the
    database still away, its lease expires and the reconciler re-enqueues it once the database is back."""
    log.error("video %s: database unavailable after %s retries (%s); handing it back", video_id,
              settings.VIDEO_TASK_MAX_RETRIES, exc)
    try:
        video_hand_back(video_id=video_id, token=token, counted=True)
    except DatabaseError as again:
        log.error("video %s: could not hand it back (%s); the reconciler re-enqueues it when its lease expires",
                  video_id, again)


@shared_task(name="videos.recover_videos")
def recover_videos() -> list[int]:
    """The reconciler: re-enqueue videos nobody works on (lease expired) and queued ones the broker lost."""
    stale = videos_to_recover()
    for video_id in stale:
        process_video.delay(video_id)
    if stale:
        log.warning("re-enqueued videos nobody held %s", stale)
    return stale


@worker_ready.connect
def _recover_on_start(sender=None, **kwargs) -> None:
    """A worker that starts (after a crash, a deploy, a broker that forgot its queue) looks at once, in this process:
    its own queue may hold nothing that would wake it. (run_embedded re-enqueues what it finds itself.)"""
    if settings.EMBEDDED or "gpu" not in _queues(sender):
        return
    try:
        recover_videos()
    except Exception:  # noqa: BLE001 - the database or broker is away: beat tries again shortly
        log.exception("video reconciler at worker start failed")


def _queues(consumer) -> set[str]:
    try:
        return {q.name for q in consumer.task_consumer.queues}
    except AttributeError:
        return {"gpu"}


@worker_shutting_down.connect
def _stop_between_batches(**kwargs) -> None:
    """Warm shutdown (SIGTERM): the video in progress stops at its next batch and is handed back (run in the signal
    handler: only an event is set)."""
    request_stop()


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
