"""Celery tasks for videos: take ids, call a service, own the retry policy.

A video is processed in frame ranges (webapp/videos/ranges.py), several at once: process_video plans a queued video
into ranges (VIDEO_RANGE_FRAMES each), queues one process_range task per range but the first on `gpu`, and processes
the first itself (a video of one range, a short clip, starts as fast as before). Each range runs under its own lease
(webapp/videos/leases.py), so a redelivered or duplicated message does nothing while its range is held or done;
recover_videos (Celery beat, and each worker as it starts) re-enqueues ranges and videos nobody holds; a warm shutdown
hands the range back between batches. A range is short (1500 frames by default: about 4 min on 2 CPU cores, seconds
on a GPU), which is what the broker's visibility timeout must exceed (CELERY_VISIBILITY_TIMEOUT_S).

A `gpu` worker warms the active model's engine as it starts, in a thread (webapp/mlops/engines.py: EngineWarmer), so
its first video finds the model loaded and run once; `celery -A webapp inspect engines` says what a worker holds.
"""

from __future__ import annotations

import logging
import threading

from celery import shared_task
from celery.signals import (
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_ready,
    worker_shutting_down,
)
from celery.worker.control import inspect_command
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError

from webapp.leases import new_token
from webapp.videos.leases import PROCESS_QUEUE, ranges_to_recover, request_stop, videos_to_recover

log = logging.getLogger(__name__)


@shared_task(
    name="videos.process_video",
    bind=True,
    # A worker killed mid-range leaves the message unacknowledged; the range's lease decides who works on it, so a
    # redelivered copy finds the video planned (and its range held or done) and does nothing, and the reconciler
    # re-enqueues an abandoned range.
    acks_late=True,
    reject_on_worker_lost=True,
)
def process_video(self, video_id: int, token: str | None = None, range_id: int | None = None,
                  range_frames: int | None = None) -> None:
    """Plan a queued video into ranges of `range_frames` frames (default VIDEO_RANGE_FRAMES), queue all but the first,
    and process the first here. range_id: a retry of that first range (with its lease token)."""
    from webapp.videos.pipeline import video_plan  # the worker side (torch): never loaded by the web process

    token = token or new_token()  # kept across retries: a retry takes the lease back at once
    if range_id is None:
        try:
            left = video_plan(video_id=video_id, range_frames=range_frames)
        except (OperationalError, InterfaceError) as exc:  # the database went away before anything was planned
            retries = self.request.retries
            if retries < settings.VIDEO_TASK_MAX_RETRIES:
                raise self.retry(exc=exc, countdown=settings.VIDEO_RETRY_BACKOFF_S * 2**retries) from exc
            raise  # queued still: the reconciler re-enqueues it once the database is back
        if not left:
            return  # planned already (a duplicate message), final, or gone
        for other in left[1:]:
            send_range(other)
        range_id = left[0]
    _run_range(self, range_id, token, args=(video_id,), kwargs={"range_id": range_id, "range_frames": range_frames})


@shared_task(
    name="videos.process_range",
    bind=True,
    acks_late=True,  # as process_video: the lease, not the message, decides who works on the range
    reject_on_worker_lost=True,
)
def process_range(self, range_id: int, token: str | None = None) -> None:
    """Process one range of a video (planned by process_video) after its last stored frame."""
    token = token or new_token()
    _run_range(self, range_id, token, args=(range_id,), kwargs={})


def send_range(range_id: int) -> None:
    """Queue process_range on `gpu` (named here: a retry goes back to the queue its message came from)."""
    process_range.apply_async((range_id,), queue=PROCESS_QUEUE)


def _run_range(task, range_id: int, token: str, *, args: tuple, kwargs: dict) -> None:
    """The retry policy of a range, whichever task runs it: a database error retries the task with the same lease
    token (it takes the range back at once) after backoff * 2**n s; after the last retry the range is handed back
    (counted toward VIDEO_MAX_ATTEMPTS). Any other error fails the video with its message."""
    from webapp.videos.pipeline import range_fail, range_process

    try:
        range_process(range_id=range_id, token=token)
    except (OperationalError, InterfaceError) as exc:  # the database went away
        retries = task.request.retries
        if retries < settings.VIDEO_TASK_MAX_RETRIES:
            raise task.retry(exc=exc, countdown=settings.VIDEO_RETRY_BACKOFF_S * 2**retries,
                             args=args, kwargs={**kwargs, "token": token}) from exc
        _give_back(range_id, token, exc)
    except Exception as exc:
        range_fail(range_id=range_id, message=f"processing failed: {type(exc).__name__}: {exc}", token=token)
        raise


def _give_back(range_id: int, token: str, exc: Exception) -> None:
    """The last retry: queue the range again (counted toward VIDEO_MAX_ATTEMPTS), never leave it processing. With the
    database still away, its lease expires and the reconciler re-enqueues it once the database is back."""
    log.error("range %s: database unavailable after %s retries (%s); handing it back", range_id,
              settings.VIDEO_TASK_MAX_RETRIES, exc)
    from webapp.videos.pipeline import range_hand_back

    try:
        range_hand_back(range_id=range_id, token=token, counted=True)
    except DatabaseError as again:
        log.error("range %s: could not hand it back (%s); the reconciler re-enqueues it when its lease expires",
                  range_id, again)


@shared_task(name="videos.recover_videos")
def recover_videos() -> dict[str, list[int]]:
    """The reconciler: re-enqueue ranges nobody works on (lease expired, or queued with no message in the broker) and
    queued videos the broker lost."""
    videos = videos_to_recover()
    for video_id in videos:
        process_video.delay(video_id)
    parts = ranges_to_recover()
    for range_id in parts:
        send_range(range_id)
    if videos:
        log.warning("re-enqueued videos nobody held %s", videos)
    if parts:
        log.warning("re-enqueued ranges nobody held %s", parts)
    return {"videos": videos, "ranges": parts}


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


# The tasks that run the engine: while one runs in this process, the warmer leaves the engines alone (warming a newly
# promoted version would drop the engine of the version a video in progress runs with).
ENGINE_TASKS = frozenset({"videos.process_video", "videos.process_range", "videos.predict_images"})
_running = 0
_running_lock = threading.Lock()
_warm_here = False  # decided by worker_init in the worker's main process; a prefork child inherits it


@task_prerun.connect
def _engine_task_started(sender=None, **kwargs) -> None:
    global _running
    if getattr(sender, "name", None) in ENGINE_TASKS:
        with _running_lock:
            _running += 1


@task_postrun.connect
def _engine_task_ended(sender=None, **kwargs) -> None:
    global _running
    if getattr(sender, "name", None) in ENGINE_TASKS:
        with _running_lock:
            _running = max(_running - 1, 0)


def engine_busy() -> bool:
    """True while a task of this process runs the engine."""
    return _running > 0


@worker_init.connect
def _warm_on_start(sender=None, **kwargs) -> None:
    """A worker consuming `gpu` starts warming the active model's engine at once, in a thread, before it even connects
    to the broker: the first video then finds it loaded and run once (webapp/mlops/engines.py). The solo and threads
    pools (production's workers, run_embedded) run tasks in this process; a prefork pool's children warm their own
    (worker_process_init), after the fork: a model and torch's threads do not survive one."""
    global _warm_here
    _warm_here = settings.WORKER_WARM and "gpu" in _worker_queues(sender)
    if _warm_here and not _prefork(sender):
        _start_warmer()


@worker_process_init.connect
def _warm_in_pool_process(**kwargs) -> None:
    if _warm_here:  # a prefork child; the solo pool sends it in the main process too (started already: a no-op)
        _start_warmer()


def _start_warmer() -> None:
    from webapp.mlops.engines import start_engine_warmer  # torch: the worker side only

    start_engine_warmer(busy=engine_busy)


def _worker_queues(controller) -> set[str]:
    try:
        return set(controller.app.amqp.queues.consume_from)
    except (AttributeError, TypeError):
        return set()


def _prefork(controller) -> bool:
    from celery.concurrency import get_implementation
    from celery.concurrency.prefork import TaskPool as PreforkPool

    try:
        return issubclass(get_implementation(controller.pool_cls), PreforkPool)
    except (AttributeError, TypeError, KeyError):
        return False


@inspect_command()
def engines(state) -> dict:
    """The engines this worker process holds: the sha256 of the versions loaded and warm, and its warmer's state
    (`celery -A webapp inspect engines`; the tests ask it before any task ran). Answered by the worker's consumer,
    so also while a warm-up runs in its thread."""
    from webapp.mlops.engines import engine_warmer, loaded_versions, warm_versions

    warmer = engine_warmer()
    return {"loaded": sorted(loaded_versions()), "warm": sorted(warm_versions()),
            "warmer": None if warmer is None else {"ready": warmer.ready.is_set(), "ready_s": warmer.ready_s,
                                                   "error": warmer.error}}


@worker_shutting_down.connect
def _stop_between_batches(**kwargs) -> None:
    """Warm shutdown (SIGTERM): the range in progress stops at its next batch and is handed back (run in the signal
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
