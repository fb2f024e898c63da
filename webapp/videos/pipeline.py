"""The video pipeline, worker side: plan a video into frame ranges, process each range under its lease (decode, the
engine, post-processing, storage, progress, events), finish the video. Imported by the Celery tasks
(webapp/videos/tasks.py, inside the task functions) and the worker-side commands, never by the web process: it
loads the engine (torch). The web side of videos (upload, cancel, resume, reprocess, delete) is
webapp/videos/services.py.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Iterator
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from inference.engine import Engine, FrameRuns
from inference.engine import FrameResult as EngineResult
from inference.errors import CheckpointError, InputError
from webapp import media
from webapp.annotations.models import Verdict
from webapp.leases import Heartbeat, new_token
from webapp.mlops.engines import engine_for
from webapp.mlops.services import model_version_ensure_active
from webapp.videos import ranges, rle
from webapp.videos.events import HIGH_SCORE, Event, find_events_at, find_events_in_runs
from webapp.videos.leases import (
    TooManyAttempts,
    heartbeat_interval_s,
    lock_video_shared,
    range_claim,
    range_release,
    range_renew,
    stop_requested,
)
from webapp.videos.models import (
    ACTIVE_STATUSES,
    FrameResult,
    PolypEvent,
    RangeStatus,
    Video,
    VideoFrameTimes,
    VideoRange,
    VideoStatus,
)
from webapp.videos.prefetch import prefetched
from webapp.videos.progress import broadcast
from webapp.videos.services import _status_message
from webapp.videos.stages import NO_CLOCK, Clock
from webapp.videos.writer import BackgroundWriter

log = logging.getLogger(__name__)

# Progress is broadcast at most this often: browsers redraw at a few Hz and Redis must not become the
# bottleneck at GPU rates of thousands of frames per second.
PROGRESS_INTERVAL_S = 0.5
# The range's and the video's progress rows are written with a batch at most this often (and always with the first
# batch, the last, a cancelled one and before a broadcast): at GPU rates batches of 16 arrive every few ms, and two
# UPDATEs and a SUM per batch cost more than the frames' own INSERT (bench_pipeline --engine stub). A worker that dies
# between two writes leaves the progress at most this far behind its stored frames; a resume counts the stored frames
# (video_plan), a retry continues after them (_next_index), and the lease renews in its own thread.
PROGRESS_WRITE_S = 0.25
# Results stream from the first frames: on an engine that runs its model one frame at a time (the CPU), the first
# frame of a run is computed alone, and when it took at least this long (a batch of 16 would hold the first result
# back by 16 times that, 0.8 s or more) it is stored at once and the batches ramp 1, 2, 4, 8 up to the engine's batch
# (so that later batches start at multiples of it, as before), each stored as it is computed. Faster engines (a GPU,
# the tests' tiny model) complete the first batch and store it whole, as before. An engine's first frame in this
# process pays its warm-up (allocations, oneDNN's kernels: 0.1-0.3 s even for a tiny model), so for an engine not
# warm yet a second frame confirms. 50 ms: the shipped model on 2 CPU cores takes 130-250 ms a frame, the tiny test
# model about 1 ms.
STREAM_FRAME_S = 0.05
# Engines that computed a frame in this process (their next first frame is timed without warm-up).
_WARM: weakref.WeakSet = weakref.WeakSet()

# --- processing -----------------------------------------------------------------------------------
# A video is processed in frame ranges (VideoRange, webapp/videos/ranges.py): video_plan splits a queued video, each
# range is processed under its own lease (range_process; webapp/videos/leases.py), several at once on several
# workers, and the last range to finish finishes the video (range_complete). The Celery tasks
# (webapp/videos/tasks.py) spread the ranges over the `gpu` workers; video_process runs them all in this process.


def _take(frames: Iterator[np.ndarray], size: int) -> list[np.ndarray]:
    batch: list[np.ndarray] = []
    for frame in frames:
        batch.append(frame)
        if len(batch) == size:
            break
    return batch


def _computed_batches(frames: Iterator[np.ndarray], engine: Engine, start: int, clock: Clock = NO_CLOCK,
                      stop=lambda: False) -> Iterator[list]:
    """The engine's results over `frames` (frame `start` on), batch after batch, as they are to be stored.

    The engine's video path where it has one (Engine.predict_runs: masks as run lengths), else predict_batch.
    Streaming (STREAM_FRAME_S): on an engine whose model runs one frame at a time, the first frame is computed alone;
    a slow one is yielded alone and the next batches double up to engine.batch; a fast one is completed to a whole
    batch. `stop()` is asked before each batch is computed."""
    predict = getattr(engine, "predict_runs", None) or engine.predict_batch
    index = start
    size = engine.batch
    held: list = []
    if getattr(engine, "model_batch", None) == 1 and engine.batch > 1:
        slow = False
        for _ in range(1 if engine in _WARM else 2):  # a cold engine's first frame pays its warm-up: confirm
            frame = _take(frames, 1)
            if not frame or stop():
                break
            began = time.perf_counter()
            with clock.stage("engine"):
                held += predict(frame, index)
            index += 1
            slow = time.perf_counter() - began >= STREAM_FRAME_S
            if not slow:
                break
        _WARM.add(engine)
        if slow:
            yield held
            held, size = [], min(index - start, engine.batch)
    while True:
        if stop():
            return
        batch = _take(frames, size - len(held))
        if not batch:
            if held:
                yield held
            return
        with clock.stage("engine"):
            results = held + predict(batch, index)
        held = []
        index += len(batch)
        yield results
        size = min(index - start, engine.batch)  # doubling while it ramps: later batches start at multiples


def video_fail(*, video_id: int, message: str, range_id: int | None = None, token: str | None = None) -> None:
    """Fail a queued or processing video with a message; with `token`, only while no other worker holds range_id
    (the range whose processing failed). The workers on its other ranges stop at their next batch."""
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is None or video.status not in ACTIVE_STATUSES:
            return
        if token is not None:
            holder = VideoRange.objects.filter(pk=range_id).values_list("lease_token", flat=True).first()
            if holder is None or holder not in ("", token):
                return  # another worker took the range over (or the video was planned anew): not ours to judge
        video.status = VideoStatus.FAILED
        video.error = message[:2000]
        video.finished_at = timezone.now()
        video.save(update_fields=["status", "error", "finished_at"])
    broadcast(video_id, _status_message(video))


def range_fail(*, range_id: int, message: str, token: str | None = None) -> None:
    """video_fail for the video of a range whose processing failed."""
    video_id = VideoRange.objects.filter(pk=range_id).values_list("video_id", flat=True).first()
    if video_id is not None:
        video_fail(video_id=video_id, message=message, range_id=range_id, token=token)


def _enqueue_range(range_id: int) -> None:
    from webapp.videos.tasks import send_range  # tasks import this module

    send_range(range_id)


def range_hand_back(*, range_id: int, token: str, counted: bool) -> bool:
    """Give a range this worker holds back and enqueue it again after commit (a warm shutdown between batches; the
    last retry of a database error, `counted` toward VIDEO_MAX_ATTEMPTS). The next worker continues after its last
    stored frame. False when it was not ours any more."""
    with transaction.atomic():
        if not range_release(range_id=range_id, token=token, counted=counted):
            return False
        transaction.on_commit(lambda: _enqueue_range(range_id))
    return True


def video_plan(*, video_id: int, range_frames: int | None = None) -> list[int]:
    """Start processing a queued video: split it into ranges of at most `range_frames` frames (VIDEO_RANGE_FRAMES;
    ranges.plan: a video of that many frames or fewer is one range), or keep the ranges it has (a resumed video,
    run_embedded's restart: their queued and unfinished ranges are queued again), and mark it processing with the
    model version it runs (the active one; a resumed video keeps its own). One transaction.

    Returns the ids of the ranges left, in frame order; [] when the video is not queued (planned already: a duplicate
    message; final; gone)."""
    now = timezone.now()
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is None or video.status != VideoStatus.QUEUED:
            _log_not_queued(video_id, video)
            return []
        parts = VideoRange.objects.filter(video=video)
        if not parts.exists():
            bounds = ranges.plan(video.frame_count, range_frames or settings.VIDEO_RANGE_FRAMES)
            VideoRange.objects.bulk_create([VideoRange(video=video, start=a, end=b, heartbeat_at=now)
                                            for a, b in bounds])
        else:
            parts.exclude(status=RangeStatus.DONE).update(status=RangeStatus.QUEUED, lease_token="",
                                                          lease_holder="", heartbeat_at=now)
        if video.model_version is None:  # a resumed video keeps the version it started with
            video.model_version = model_version_ensure_active()
        video.status, video.started_at, video.finished_at = VideoStatus.PROCESSING, now, None
        video.frames_done = FrameResult.objects.filter(video=video).count()
        video.save(update_fields=["status", "model_version", "started_at", "finished_at", "frames_done"])
        left = list(parts.exclude(status=RangeStatus.DONE).order_by("start").values_list("pk", flat=True))
    log.info("video %s: %s frames in %s range(s), %s left", video_id, video.frame_count, parts.count(), len(left))
    return left


def _log_not_queued(video_id: int, video: Video | None) -> None:
    if video is None:
        log.info("video %s: gone; this message does nothing", video_id)
    elif video.status == VideoStatus.PROCESSING:
        holders = sorted(set(VideoRange.objects.filter(video=video, status=RangeStatus.PROCESSING)
                             .values_list("lease_holder", flat=True)))
        log.info("video %s: held by %s (its ranges are planned and queued); this message does nothing", video_id,
                 ", ".join(holders) or "no worker at this moment")
    else:
        log.info("video %s: %s; this message does nothing", video_id, video.status)


def video_ranges_left(*, video_id: int) -> list[int]:
    """The ranges of a processing video not done yet, in frame order."""
    return list(VideoRange.objects.filter(video_id=video_id, video__status=VideoStatus.PROCESSING)
                .exclude(status=RangeStatus.DONE).order_by("start").values_list("pk", flat=True))


def video_process(*, video_id: int, range_frames: int | None = None) -> None:
    """Process a video in this process, range after range: plan it when it is queued, then run every range left that
    no other worker holds (tests, bench_load, bench_pipeline; the Celery tasks spread the ranges over the workers
    instead). Ends with the video done, unless it was cancelled, failed, or a range is held elsewhere."""
    video_plan(video_id=video_id, range_frames=range_frames)
    for range_id in video_ranges_left(video_id=video_id):
        range_process(range_id=range_id)


def range_process(*, range_id: int, token: str | None = None) -> None:
    """Claim the range (webapp/videos/leases.py), run the video's model over its frames not stored yet, then mark it
    done, and finish the video when it was the last range left (range_complete); or, on a warm shutdown, stop between
    batches and hand the range back.

    Idempotent and resumable: frames are written with ignore_conflicts on (video, index) and only while this call
    holds the range's lease, and a retry starts after the range's last stored frame, so each frame is stored exactly
    once, by one worker. `token`: the lease token (the task passes the same one to its retries); a fresh one by
    default. The engine runs here while a writer thread stores the batches before (webapp/videos/writer.py); an error
    of the writer is raised here.
    """
    token = token or new_token()
    try:
        part = range_claim(range_id=range_id, token=token)
    except TooManyAttempts as exc:
        range_fail(range_id=range_id, message=str(exc))
        return
    if part is None:
        return  # held by another worker, done, or its video is no longer processing
    video = part.video
    # A caller inside a transaction (tests) holds rows another connection cannot see: the batches renew the lease.
    beat = None if connection.in_atomic_block else Heartbeat(
        lambda: range_renew(range_id=range_id, token=token), interval_s=heartbeat_interval_s(),
        stall_s=settings.VIDEO_STALL_S, name=f"video-{video.pk}-range-{part.start}-lease")
    try:
        with beat or nullcontext():
            engine = engine_for(video.model_version)  # before the download: a bad checkpoint fails at once
            with media.local_copy(video.file.name) as path:  # remote storage: a download, removed afterwards
                try:
                    _run_frames(part, engine, path, token, beat)
                except InputError as exc:  # its message names the local path; the user knows the stored name
                    raise InputError(str(exc).replace(str(path), video.file.name)) from exc
    except (InputError, CheckpointError) as exc:
        video_fail(video_id=video.pk, message=str(exc), range_id=part.pk, token=token)


def _run_frames(part: VideoRange, engine: Engine, path: Path, token: str | None = None,
                beat: Heartbeat | None = None, clock: Clock = NO_CLOCK) -> StoredRun:
    """The engine over the range's frames not stored yet; the writes run in a thread (webapp/videos/writer.py).
    clock: bench_pipeline times the stages (webapp/videos/stages.py)."""
    video = part.video
    last = part.end >= video.frame_count  # the last range reads to the end of the file
    start = _next_index(part, last)
    whole = part.start == 0 and last  # the video is one range: its events are stored as they are found
    scores = list(FrameResult.objects.filter(video=video, index__gte=part.start, index__lt=start)
                  .order_by("index").values_list("score", flat=True)) if whole else []
    log.info("video %s: processing from frame %s (range %s-%s, attempt %s, lease %s)", video.pk, start, part.start,
             part.end - 1, part.attempts, (token or "")[:8])
    stored = StoredRun(part=part, scores=scores, began=time.monotonic(), token=token, beat=beat, live_events=whole,
                       clock=clock)
    times = _frame_times(video) if start > 0 else None
    decoded = clock.timed("decode", ranges.read_frames(path, start, None if last else part.end, times))
    frames = prefetched(decoded)  # decoding overlaps
    index = start
    interrupted = False

    def stop() -> bool:
        nonlocal interrupted
        if writer.stopped or (beat is not None and beat.lost.is_set()):
            return True  # cancelled or taken over (or failed: leaving the block re-raises the writer's error)
        if stop_requested():  # warm shutdown: the batches computed so far are stored, the rest handed back
            interrupted = True
            return True
        return False

    with closing(frames), BackgroundWriter(stored.write, name=f"video-{video.pk}-writer") as writer:
        for results in _computed_batches(frames, engine, start, clock, stop):
            index += len(results)
            if not writer.put(results):
                break
    stored.flush()  # the last batch's progress, when it was not written with it (PROGRESS_WRITE_S)
    if stored.cancelled or (beat is not None and beat.lost.is_set()):
        log.info("video %s: stopped at frame %s (no longer processing, or no longer ours)", video.pk,
                 part.start + part.frames_done)
        return stored
    if interrupted and token is not None:
        handed = range_hand_back(range_id=part.pk, token=token, counted=False)
        log.info("video %s: shutting down; %s at frame %s", video.pk,
                 "handed back" if handed else "no longer ours", part.start + part.frames_done)
        return stored
    log.info("video %s: ran frames %s-%s (range %s-%s, lease %s)", video.pk, start, index - 1, part.start,
             part.end - 1, (token or "")[:8])
    with clock.stage("complete"):
        range_complete(part=part, token=token, rate=stored.rate)
    return stored


def _frame_times(video: Video) -> np.ndarray | None:
    """The times the upload recorded (ranges.read_frames seeks by them); None for a video uploaded before they were
    recorded (a range then decodes from the start of the file)."""
    data = VideoFrameTimes.objects.filter(video=video).values_list("times_ms", flat=True).first()
    return None if data is None else ranges.unpack_times(data)


@dataclass
class StoredRun:
    """What one run of a range has stored. write() is what the writer thread does per batch (bench_pipeline
    --storage-only times it alone); only that thread changes this object until the run ends (flush() then)."""

    part: VideoRange
    scores: list[float]  # of every stored frame of the range, in frame order (live events are found from these)
    began: float  # time.monotonic() at the start of the run
    processed: int = 0  # frames stored in this run
    rate: float = 0.0  # frames per second of this run so far
    last_sent: float = 0.0
    cancelled: bool = False  # no longer processing, or no longer ours
    token: str | None = None  # the lease this run holds (None: no lease, bench_pipeline --storage-only)
    beat: Heartbeat | None = None  # told of every stored batch (its stall guard)
    live_events: bool = False  # the range is the whole video: its events are stored as they are found
    clock: Clock = field(default=NO_CLOCK, repr=False)  # bench_pipeline times the stages
    last_progress: float = 0.0  # time.monotonic() of the last progress write (PROGRESS_WRITE_S)
    pending: bool = False  # frames stored since then whose progress is not written yet

    def write(self, results: list) -> bool:
        """Store one batch and record progress; False once the video is no longer processing, or the range no
        longer ours. Progress rows are written with the batch at most every PROGRESS_WRITE_S; a batch that fails
        leaves the progress of those before it written (flush)."""
        try:
            return self._write(results)
        except BaseException:
            self._flush_quietly()
            raise

    def _write(self, results: list) -> bool:
        part, video = self.part, self.part.video
        done = results[-1].index + 1
        now = time.monotonic()
        tick = now - self.last_sent >= PROGRESS_INTERVAL_S
        progress = tick or self.processed == 0 or now - self.last_progress >= PROGRESS_WRITE_S
        events = None
        clock = self.clock
        with clock.stage("rle"):
            _pack(results)
        with transaction.atomic():
            # The video's row first (every write keeps that order: video, then range). Shared with the workers of
            # its other ranges, exclusive against cancel, reprocess, delete and the finisher; exclusive here only
            # when this batch stores the events (a one-range video: nobody else writes them).
            with clock.stage("lock"):
                if tick and self.live_events:
                    status = (Video.objects.select_for_update().filter(pk=video.pk)
                              .values_list("status", flat=True).first())
                else:
                    status = lock_video_shared(video.pk)
                # The range's row lock orders this write against a takeover (range_claim locks the row too): a
                # holder whose token is gone stores nothing, so no frame is ever stored by two workers.
                held = VideoRange.objects.select_for_update(of=("self",)).filter(pk=part.pk)
                if self.token is not None:
                    held = held.filter(lease_token=self.token)
                if status is None or not held.order_by().values_list("pk", flat=True):
                    self.cancelled = True
                    self.pending = False  # nothing of ours to record any more
                    return False
            # A batch in flight when the video was cancelled is still stored (resume continues after it).
            with clock.stage("insert"):
                _store_results(video, results, video.fps or 0.0)
            self.scores.extend(r.score for r in results)
            self.processed += len(results)
            self.rate = self.processed / max(time.monotonic() - self.began, 1e-9)
            part.frames_done = done - part.start
            if status != VideoStatus.PROCESSING:
                with clock.stage("progress"):
                    self._write_range_progress()
                self.cancelled = True
                return False
            if progress:
                with clock.stage("progress"):
                    self._write_range_progress()
            else:
                self.pending = True
            if tick and self.live_events:
                # From the stored frames only; stored as they are found, so the API lists them while the video
                # is still processing.
                with clock.stage("events"):
                    events = find_events_at(self.scores, video.fps or 0.0)
                    _store_events(video, events)
        if progress:
            with clock.stage("progress"):
                video.frames_done, rate = _video_progress(video.pk)
            self.last_progress = now
        if self.beat is not None:
            self.beat.progressed()
        if tick:
            self.last_sent = time.monotonic()
            with clock.stage("broadcast"):
                broadcast(video.pk, _status_message(video, events, rate))
        return True

    def _write_range_progress(self) -> None:
        VideoRange.objects.filter(pk=self.part.pk).update(frames_done=self.part.frames_done,
                                                          heartbeat_at=timezone.now(), processing_fps=self.rate)
        self.pending = False

    def flush(self) -> None:
        """Write the progress of the batches stored since the last progress write (the run's end)."""
        if not self.pending or self.cancelled:
            return
        with transaction.atomic():
            held = VideoRange.objects.filter(pk=self.part.pk)
            if self.token is not None:
                held = held.filter(lease_token=self.token)
            if not held.update(frames_done=self.part.frames_done, heartbeat_at=timezone.now(),
                               processing_fps=self.rate):
                self.pending = False
                return  # no longer ours: the holder now records its own
        self.part.video.frames_done, _ = _video_progress(self.part.video_id)
        self.pending = False

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - the batch's own error is the one raised; this one only logged
            log.warning("video %s: the progress before a failed batch could not be written", self.part.video_id,
                        exc_info=True)


def _video_progress(video_id: int) -> tuple[int, float]:
    """Record the video's progress, the frames its ranges stored (several workers store at once: each writes the sum,
    never less than what is there), and return it with the frame rate of its ranges in progress, all together."""
    totals = VideoRange.objects.filter(video_id=video_id).aggregate(
        frames=Coalesce(Sum("frames_done"), 0),
        rate=Coalesce(Sum("processing_fps", filter=Q(status=RangeStatus.PROCESSING)), 0.0))
    Video.objects.filter(pk=video_id, status=VideoStatus.PROCESSING).update(
        frames_done=Greatest(F("frames_done"), Value(totals["frames"])))
    return totals["frames"], totals["rate"]


def _pack(results: list) -> None:
    """Pack the RLE strings of results that carry their masks as run lengths (Engine.predict_runs), all in one call
    into pycocotools (webapp/videos/rle.encode_counts)."""
    runs = [r for r in results if isinstance(r, FrameRuns) and not r.rle]
    sizes = {(r.height, r.width) for r in runs}
    for height, width in sizes:
        same = [r for r in runs if (r.height, r.width) == (height, width)]
        for r, text in zip(same, rle.encode_counts([r.counts for r in same], height, width), strict=True):
            r.rle = text


def _mask_text(result: EngineResult | FrameRuns) -> str:
    """A result's mask as a COCO RLE string: packed already (_pack), or encoded from its mask (predict_batch)."""
    return getattr(result, "rle", "") or rle.encode(result.mask)


# The columns a batch of results fills, in COPY's order.
_COLUMNS = ("video_id", "index", "time_s", "score", "area", "flagged", "mask_rle", "model_version_id")
# The psycopg connections whose session has the staging table (it lives as long as the session: a new connection
# creates it again). A pooler in transaction mode (PgBouncer's pool_mode=transaction; not deployed, deploy/README.md)
# would hand each transaction any server session: _copy_rows must then create the table in every transaction.
_STAGED: weakref.WeakSet = weakref.WeakSet()
# "copy": COPY into a temporary staging table, then one INSERT ... SELECT ... ON CONFLICT DO NOTHING (PostgreSQL);
# "insert": bulk_create(ignore_conflicts=True), one INSERT with the values inline (SQLite, the embedded mode; and
# bench_pipeline --store insert, to compare).
STORE_METHOD = "copy"


def _store_results(video: Video, results: list[EngineResult | FrameRuns], fps: float) -> None:
    """One bulk write per batch; a frame already stored (a retried task) is skipped, never duplicated."""
    rows = [(video.pk, r.index, r.index / fps if fps else 0.0, r.score, r.area, r.score >= HIGH_SCORE, _mask_text(r),
             video.model_version_id) for r in results]
    if STORE_METHOD == "copy" and connection.vendor == "postgresql":
        _copy_rows(rows)
        return
    FrameResult.objects.bulk_create([FrameResult(**dict(zip(_COLUMNS, row, strict=True))) for row in rows],
                                    ignore_conflicts=True)


def _copy_rows(rows: list[tuple]) -> None:
    """COPY the rows into a session-local staging table, then move them into the results table with ON CONFLICT DO
    NOTHING (the unique (video, index): what bulk_create's ignore_conflicts does). The move deletes what it moves
    from the staging table in the same statement, so the table is empty after every batch, committed or not (a
    caller's transaction may hold several batches: tests, a savepoint), and a rolled-back batch leaves nothing."""
    table = FrameResult._meta.db_table
    columns = ", ".join(f'"{c}"' for c in _COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django has no COPY
        if connection.connection not in _STAGED:
            raw.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS frame_result_staging AS "
                        f"SELECT {columns} FROM {table} WITH NO DATA")
            staged = connection.connection
            transaction.on_commit(lambda: _STAGED.add(staged))  # a rolled-back CREATE leaves no table
        with raw.copy(f"COPY frame_result_staging ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.execute(f"WITH moved AS (DELETE FROM frame_result_staging RETURNING {columns}) "
                    f"INSERT INTO {table} ({columns}) SELECT {columns} FROM moved ON CONFLICT DO NOTHING")


def _next_index(part: VideoRange, last: bool) -> int:
    """After the range's last stored frame (its first frame when none is stored): a range stores its frames in order
    from its start, so what is stored of it is a prefix."""
    stored = FrameResult.objects.filter(video_id=part.video_id, index__gte=part.start)
    if not last:
        stored = stored.filter(index__lt=part.end)
    index = stored.aggregate(last=Max("index"))["last"]
    return part.start if index is None else index + 1


def range_complete(*, part: VideoRange, token: str | None, rate: float) -> bool:
    """Mark a range done once every frame of it is stored; True when that finished the video. The last range of a
    video to finish finishes it: the events over the whole score sequence (so an event that crosses a range border is
    one event), status done, the final message. Exactly one finisher: each completion locks the video's row (FOR
    UPDATE) before it marks its range done and counts the ranges left, so completions run one after another and only
    the last sees none left. Before that, the events of the frames stored so far are stored provisionally, each run of
    consecutive stored frames on its own (the finisher replaces them)."""
    video_id = part.video_id
    now = timezone.now()
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is None:
            return False
        mine = VideoRange.objects.filter(pk=part.pk, status=RangeStatus.PROCESSING)
        if token is not None:
            mine = mine.filter(lease_token=token)
        if not mine.update(status=RangeStatus.DONE, lease_token="", finished_at=now, heartbeat_at=now,
                           processing_fps=rate or None):
            return False  # taken over, or planned anew: not ours to complete
        if video.status != VideoStatus.PROCESSING:
            return False  # cancelled or failed meanwhile: the range's frames stay, a resume skips it
        fps = video.fps or 0.0
        stored = list(FrameResult.objects.filter(video=video).order_by("index").values_list("index", "score"))
        left = VideoRange.objects.filter(video=video).exclude(status=RangeStatus.DONE).exists()
        if left:
            events = find_events_in_runs(stored, fps)
            _store_events(video, events)
            video.frames_done = len(stored)
            Video.objects.filter(pk=video.pk).update(frames_done=video.frames_done)
            message = _status_message(video, events, _ranges_rate(video))
        elif stored and stored[-1][0] != len(stored) - 1:  # never: each range stores its frames to its end
            missing = next(i for i, (index, _) in enumerate(stored) if index != i)
            video.status, video.error, video.finished_at = VideoStatus.FAILED, f"frame {missing} is missing", now
            video.save(update_fields=["status", "error", "finished_at"])
            message = _status_message(video)
        else:
            events = find_events_at([score for _, score in stored], fps)
            _store_events(video, events)
            video.status = VideoStatus.DONE
            video.frames_done = video.frame_count = len(stored)  # what the decoder delivered is the truth
            video.processing_fps = _video_rate(video, now)
            video.finished_at = now
            video.save(update_fields=["status", "frames_done", "frame_count", "processing_fps", "finished_at"])
            message = _status_message(video, events, video.processing_fps)
    broadcast(video_id, message)
    if video.status == VideoStatus.DONE:
        log.info("video %s: done, %s frames, %s events", video_id, video.frame_count, len(events))
    return video.status == VideoStatus.DONE


def _ranges_rate(video: Video) -> float:
    return VideoRange.objects.filter(video=video, status=RangeStatus.PROCESSING).aggregate(
        rate=Coalesce(Sum("processing_fps"), 0.0))["rate"]


def _video_rate(video: Video, now: datetime) -> float | None:
    """Frames per second of this processing, every worker together: the frames of the ranges done since it started
    over the time since (ranges a resumed video had finished before do not count; a range half done before does)."""
    before = VideoRange.objects.filter(video=video, finished_at__lt=video.started_at).aggregate(
        frames=Coalesce(Sum("frames_done"), 0))["frames"]
    elapsed = (now - video.started_at).total_seconds() if video.started_at else 0.0
    frames = video.frame_count - before
    return frames / elapsed if elapsed > 0 and frames > 0 else None


# Judged events are parked at these indices while they are rewritten (PositiveIntegerField holds up to 2**31 - 1;
# no video has two billion frames), so their starts cannot collide with each other on the way.
_PARKED = 2_000_000_000


def _overlap(a: PolypEvent, b: Event) -> int:
    return max(0, min(a.end_index, b.end) - max(a.start_index, b.start) + 1)


def _store_events(video: Video, events: list[Event]) -> None:
    """Replace the video's events with `events`. While frames arrive an event may still grow or merge with
    the next, so the stored set is replaced, not appended to (verdicts wait until the video is done).

    Judged events keep their verdicts (a reprocessed video, webapp/videos/services.video_reprocess): each new
    event takes over the judged events it overlaps (the one overlapping most keeps its row, the verdicts of the
    others move to it); a judged event that no new event overlaps stays as it was, with its verdicts.
    """
    fps = video.fps or 0.0

    def fields(e: Event) -> dict:
        return {"start_index": e.start, "end_index": e.end, "peak_index": e.peak, "peak_score": e.peak_score,
                "start_s": e.start / fps if fps else 0.0, "end_s": (e.end + 1) / fps if fps else 0.0}

    with transaction.atomic():
        current = PolypEvent.objects.filter(video=video)
        judged = list(current.filter(Exists(Verdict.objects.filter(event=OuterRef("pk")))).order_by("start_index"))
        current.exclude(pk__in=[e.pk for e in judged]).delete()
        for i, e in enumerate(judged):
            PolypEvent.objects.filter(pk=e.pk).update(start_index=_PARKED + i, peak_index=_PARKED + i,
                                                      end_index=_PARKED + i)
        taken: set[int] = set()
        fresh = []
        for new in events:
            overlapping = [e for e in judged if e.pk not in taken and _overlap(e, new) > 0]
            if not overlapping:
                fresh.append(PolypEvent(video=video, **fields(new)))
                continue
            keeper = max(overlapping, key=lambda e: _overlap(e, new))
            others = [e.pk for e in overlapping if e.pk != keeper.pk]
            Verdict.objects.filter(event_id__in=others).update(event=keeper)
            PolypEvent.objects.filter(pk__in=others).delete()
            PolypEvent.objects.filter(pk=keeper.pk).update(**fields(new))
            taken.update(e.pk for e in overlapping)
        for e in judged:
            if e.pk not in taken:  # no new event where it was: it stays, as judged
                PolypEvent.objects.filter(pk=e.pk).update(start_index=e.start_index, peak_index=e.peak_index,
                                                          end_index=e.end_index)
        PolypEvent.objects.bulk_create(fresh)
