"""Video work is never stranded and never done twice: a lease on each video being processed, and a reconciler.

The lease (webapp/leases.py, as the training runs have it): a worker claims a video with a fresh token
(video_claim) and renews `heartbeat_at` every VIDEO_LEASE_S / 6 from a thread and with every batch it stores, each
time only where the token is still its own. A redelivered or duplicated message finds the video held and does
nothing; a stalled holder that was taken over finds its token gone at its next write and stops, storing nothing
more (the batch write checks the token under the video's row lock, webapp/videos/services.StoredRun.write), so no
frame is ever stored by two workers.

The reconciler (task `videos.recover_videos`: Celery beat every VIDEO_RECONCILE_S, and each worker as it starts)
re-enqueues videos nobody works on: processing with an expired lease (a killed worker) and queued ones the broker no
longer holds (a Redis restarted empty). A killed worker's video is queued again within VIDEO_LEASE_S +
VIDEO_RECONCILE_S. Warm shutdown (SIGTERM) stops between batches and hands the video back (video_release).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from webapp.leases import expired, holder_name, is_held, waiting_in_broker
from webapp.mlops.services import model_version_ensure_active
from webapp.videos.models import Video, VideoStatus

log = logging.getLogger(__name__)

PROCESS_TASK = "videos.process_video"
PROCESS_QUEUE = "gpu"

# Set once this process is shutting down (Celery's warm shutdown, run_embedded's Ctrl+C): processing stops between
# batches and hands its video back instead of finishing it.
_SHUTDOWN = threading.Event()


def request_stop() -> None:
    _SHUTDOWN.set()


def stop_requested() -> bool:
    return _SHUTDOWN.is_set()


def heartbeat_interval_s() -> float:
    """Six renewals within a lease: one or two missed (a slow query, a busy core) never lose it."""
    return settings.VIDEO_LEASE_S / 6


class TooManyAttempts(Exception):
    """The video was claimed VIDEO_MAX_ATTEMPTS times without finishing: fail it rather than loop for ever."""


def video_claim(*, video_id: int, token: str) -> Video | None:
    """Take the video if nobody holds it: queued, or processing with a heartbeat older than the lease, or held
    under `token` already (the same task's retry). None when it is held elsewhere, final, or gone."""
    now = timezone.now()
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is None or video.status not in (VideoStatus.QUEUED, VideoStatus.PROCESSING):
            return None  # deleted, finished, failed or cancelled before a worker got to it
        ours = video.lease_token == token
        if video.status == VideoStatus.PROCESSING and not ours and is_held(video.heartbeat_at,
                                                                           settings.VIDEO_LEASE_S, now):
            log.info("video %s: held by %s; this message does nothing", video_id, video.lease_holder)
            return None
        if not ours:
            if video.attempts >= settings.VIDEO_MAX_ATTEMPTS:
                raise TooManyAttempts(
                    f"processing was interrupted {video.attempts} times (a worker killed or the database unavailable "
                    f"each time, last on {video.lease_holder or 'an unknown worker'}); not tried again")
            if video.status == VideoStatus.PROCESSING:
                log.warning("video %s: lease of %s expired; taken over", video_id, video.lease_holder)
            video.attempts += 1
        if video.model_version is None:  # a resumed video keeps the version it started with
            video.model_version = model_version_ensure_active()
        video.status = VideoStatus.PROCESSING
        video.lease_token, video.lease_holder, video.heartbeat_at = token, holder_name(), now
        video.started_at = video.started_at or now
        video.save(update_fields=["status", "model_version", "lease_token", "lease_holder", "heartbeat_at",
                                  "attempts", "started_at"])
    return video


def video_renew(*, video_id: int, token: str) -> bool:
    """The heartbeat; False once the video is no longer processing under this token."""
    return bool(Video.objects.filter(pk=video_id, status=VideoStatus.PROCESSING, lease_token=token)
                .update(heartbeat_at=timezone.now()))


def video_release(*, video_id: int, token: str, counted: bool) -> bool:
    """Hand a video this worker holds back to the queue (status queued, no holder); the caller enqueues it after
    commit. `counted`: the attempt counts toward VIDEO_MAX_ATTEMPTS (it ended in an error); a warm shutdown's
    hand-back does not. False when the video was not ours any more (cancelled, taken over)."""
    attempts = F("attempts") if counted else F("attempts") - 1
    return bool(Video.objects.filter(pk=video_id, status=VideoStatus.PROCESSING, lease_token=token, attempts__gt=0)
                .update(status=VideoStatus.QUEUED, lease_token="", lease_holder="", heartbeat_at=timezone.now(),
                        attempts=attempts))


def videos_to_recover() -> list[int]:
    """Videos nobody works on and no message waits for: processing with an expired lease, or queued for longer than
    a lease (since upload, hand-back or the last re-enqueue) while the broker holds no message for them. A video
    whose message waits in the queue (behind other videos) is left alone, so re-enqueues never pile up."""
    lease_s = settings.VIDEO_LEASE_S
    processing = expired(Video.objects.filter(status=VideoStatus.PROCESSING), lease_s, since="started_at")
    cutoff = timezone.now() - timedelta(seconds=lease_s)
    queued = (Video.objects.filter(status=VideoStatus.QUEUED)
              .alias(since=Coalesce("heartbeat_at", "created_at")).filter(since__lt=cutoff))
    candidates = sorted(set(processing.values_list("pk", flat=True)) | set(queued.values_list("pk", flat=True)))
    if not candidates:
        return []
    waiting = waiting_in_broker(PROCESS_TASK, PROCESS_QUEUE)
    if waiting is None:  # a broker we cannot look into: re-send at most once a lease (a duplicate does nothing)
        waiting = set()
    stale = [pk for pk in candidates if pk not in waiting]
    # Re-enqueued now: the grace above starts again (the message may still be on its way to the queue).
    Video.objects.filter(pk__in=stale, status=VideoStatus.QUEUED).update(heartbeat_at=timezone.now())
    return stale


def videos_unfinished() -> list[int]:
    """Videos not in a final state, their leases dropped (run_embedded re-enqueues them at start: its memory broker
    forgot them, and in one process no other worker can hold them)."""
    videos = Video.objects.filter(status__in=(VideoStatus.QUEUED, VideoStatus.PROCESSING))
    ids = list(videos.order_by("id").values_list("id", flat=True))
    videos.update(heartbeat_at=None, lease_token="")
    return ids
