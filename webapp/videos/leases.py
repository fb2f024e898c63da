"""Video work is never stranded and never done twice: a lease on each range of frames being processed, and a reconciler.

A video is processed in frame ranges (webapp/videos/ranges.py, models.VideoRange), several at once on several workers.
The lease (webapp/leases.py, as the training runs have it) is the range's: a worker claims a range with a fresh token
(range_claim) and renews `heartbeat_at` every VIDEO_LEASE_S / 6 from a thread and with every batch it stores, each
time only where the token is still its own. A redelivered or duplicated message finds the range held (or done) and
does nothing; a stalled holder that was taken over finds its token gone at its next write and stops, storing nothing
more (the batch write checks the token under the range's row lock, webapp/videos/services.StoredRun.write), so no
frame is ever stored by two workers.

The reconciler (task `videos.recover_videos`: Celery beat every VIDEO_RECONCILE_S, and each worker as it starts)
re-enqueues work nobody does: ranges of processing videos whose lease expired (a killed worker) or that are queued
while the broker holds no message for them, and queued videos (not planned into ranges yet) the broker lost (a Redis
restarted empty). A killed worker's range is queued again within VIDEO_LEASE_S + VIDEO_RECONCILE_S. Warm shutdown
(SIGTERM) stops between batches and hands the range back (range_release).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from webapp.leases import expired, holder_name, is_held, waiting_in_broker
from webapp.videos.models import RangeStatus, Video, VideoRange, VideoStatus

log = logging.getLogger(__name__)

PROCESS_TASK = "videos.process_video"
RANGE_TASK = "videos.process_range"
PROCESS_QUEUE = "gpu"

# Set once this process is shutting down (Celery's warm shutdown, run_embedded's Ctrl+C): processing stops between
# batches and hands its range back instead of finishing it.
_SHUTDOWN = threading.Event()


def request_stop() -> None:
    _SHUTDOWN.set()


def stop_requested() -> bool:
    return _SHUTDOWN.is_set()


def heartbeat_interval_s() -> float:
    """Six renewals within a lease: one or two missed (a slow query, a busy core) never lose it."""
    return settings.VIDEO_LEASE_S / 6


class TooManyAttempts(Exception):
    """The range was claimed VIDEO_MAX_ATTEMPTS times without finishing: fail its video rather than loop for ever."""


def lock_video_shared(video_id: int) -> str | None:
    """The video's status, its row locked against cancel, reprocess, delete and the finisher (FOR UPDATE: they wait
    until this transaction ends) but not against another range's worker: PostgreSQL's FOR KEY SHARE, which the
    progress UPDATE of the other workers does not wait for either, so that workers on one video never queue behind
    each other's writes. None when the video is gone. (SQLite, the embedded mode: one writer at a time anyway.)"""
    suffix = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT status FROM {Video._meta.db_table} WHERE id = %s{suffix}", [video_id])
        row = cursor.fetchone()
    return row[0] if row else None


def range_claim(*, range_id: int, token: str) -> VideoRange | None:
    """Take the range if nobody holds it: queued, or processing with a heartbeat older than the lease, or held under
    `token` already (the same task's retry); only while its video is processing. None when it is held elsewhere, done,
    gone, or its video is not processing (cancelled, failed, deleted)."""
    now = timezone.now()
    with transaction.atomic():
        video_id = VideoRange.objects.filter(pk=range_id).values_list("video_id", flat=True).first()
        if video_id is None or lock_video_shared(video_id) != VideoStatus.PROCESSING:  # the video first, as every write
            return None
        # The range's row alone: locking the joined video row too would upgrade the shared lock above to an exclusive
        # one, and two workers claiming ranges of one video at once would deadlock.
        part = VideoRange.objects.select_for_update(of=("self",)).filter(pk=range_id).select_related("video").first()
        if part is None or part.status == RangeStatus.DONE:
            return None
        ours = part.lease_token == token
        if part.status == RangeStatus.PROCESSING and not ours and is_held(part.heartbeat_at, settings.VIDEO_LEASE_S,
                                                                          now):
            log.info("video %s: held by %s (frames %s-%s); this message does nothing", part.video_id,
                     part.lease_holder, part.start, part.end - 1)
            return None
        if not ours:
            if part.attempts >= settings.VIDEO_MAX_ATTEMPTS:
                raise TooManyAttempts(
                    f"processing of frames {part.start}-{part.end - 1} was interrupted {part.attempts} times (a worker "
                    f"killed or the database unavailable each time, last on {part.lease_holder or 'an unknown worker'})"
                    "; not tried again")
            if part.status == RangeStatus.PROCESSING:
                log.warning("video %s: lease of %s on frames %s-%s expired; taken over", part.video_id,
                            part.lease_holder, part.start, part.end - 1)
            part.attempts += 1
        part.status = RangeStatus.PROCESSING
        part.lease_token, part.lease_holder, part.heartbeat_at = token, holder_name(), now
        part.started_at = part.started_at or now
        part.save(update_fields=["status", "lease_token", "lease_holder", "heartbeat_at", "attempts", "started_at"])
    return part


def range_renew(*, range_id: int, token: str) -> bool:
    """The heartbeat; False once the range is no longer processing under this token, or its video no longer
    processing (cancelled, failed: the worker stops at its next batch)."""
    return bool(VideoRange.objects.filter(pk=range_id, status=RangeStatus.PROCESSING, lease_token=token,
                                          video__status=VideoStatus.PROCESSING)
                .update(heartbeat_at=timezone.now()))


def range_release(*, range_id: int, token: str, counted: bool) -> bool:
    """Hand a range this worker holds back (status queued, no holder); the caller enqueues it after commit.
    `counted`: the attempt counts toward VIDEO_MAX_ATTEMPTS (it ended in an error); a warm shutdown's hand-back does
    not. False when the range was not ours any more (taken over, its video reprocessed or deleted)."""
    attempts = F("attempts") if counted else F("attempts") - 1
    return bool(VideoRange.objects.filter(pk=range_id, status=RangeStatus.PROCESSING, lease_token=token,
                                          attempts__gt=0)
                .update(status=RangeStatus.QUEUED, lease_token="", lease_holder="", heartbeat_at=timezone.now(),
                        attempts=attempts))


def videos_to_recover() -> list[int]:
    """Queued videos (not planned into ranges yet) whose message the broker no longer holds: queued for longer than a
    lease (since upload, resume, reprocess or the last re-enqueue). A video whose message waits in the queue (behind
    other videos) is left alone, so re-enqueues never pile up."""
    cutoff = timezone.now() - timedelta(seconds=settings.VIDEO_LEASE_S)
    queued = (Video.objects.filter(status=VideoStatus.QUEUED)
              .alias(since=Coalesce("queued_at", "created_at")).filter(since__lt=cutoff))
    candidates = sorted(queued.values_list("pk", flat=True))
    if not candidates:
        return []
    stale = _not_waiting(candidates, PROCESS_TASK)
    # Re-enqueued now: the grace above starts again (the message may still be on its way to the queue).
    Video.objects.filter(pk__in=stale, status=VideoStatus.QUEUED).update(queued_at=timezone.now())
    return stale


def ranges_to_recover() -> list[int]:
    """Ranges of processing videos that nobody works on and no message waits for: processing with an expired lease,
    or queued for longer than a lease (since planned, handed back or last re-enqueued) while the broker holds no
    message for them."""
    lease_s = settings.VIDEO_LEASE_S
    parts = VideoRange.objects.filter(video__status=VideoStatus.PROCESSING)
    processing = expired(parts.filter(status=RangeStatus.PROCESSING), lease_s, since="started_at")
    queued = expired(parts.filter(status=RangeStatus.QUEUED), lease_s)
    candidates = sorted(set(processing.values_list("pk", flat=True)) | set(queued.values_list("pk", flat=True)))
    if not candidates:
        return []
    stale = _not_waiting(candidates, RANGE_TASK)
    VideoRange.objects.filter(pk__in=stale, status=RangeStatus.QUEUED).update(heartbeat_at=timezone.now())
    return stale


def _not_waiting(candidates: list[int], task_name: str) -> list[int]:
    waiting = waiting_in_broker(task_name, PROCESS_QUEUE)
    if waiting is None:  # a broker we cannot look into: re-send at most once a lease (a duplicate does nothing)
        waiting = set()
    return [pk for pk in candidates if pk not in waiting]


def videos_unfinished() -> list[int]:
    """Videos not in a final state, queued again with their ranges' leases dropped (run_embedded re-enqueues them at
    start: its memory broker forgot them, and in one process no other worker can hold them). Planning them again
    keeps their ranges, and each range resumes after its last stored frame."""
    videos = Video.objects.filter(status__in=(VideoStatus.QUEUED, VideoStatus.PROCESSING))
    ids = list(videos.order_by("id").values_list("id", flat=True))
    with transaction.atomic():
        videos.update(status=VideoStatus.QUEUED, queued_at=timezone.now())
        VideoRange.objects.filter(video_id__in=ids).exclude(status=RangeStatus.DONE).update(
            status=RangeStatus.QUEUED, lease_token="", lease_holder="", heartbeat_at=None)
    return ids
