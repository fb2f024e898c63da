"""Writes on videos: upload, cancel, resume, and the processing (in frame ranges) that the Celery tasks call."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from celery import signature
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from inference.errors import InputError
from inference.io import probe
from webapp import media
from webapp.accounts.models import User
from webapp.annotations.models import MaskRevision, Verdict
from webapp.audit.models import Action
from webapp.audit.services import audit_record
from webapp.errors import Conflict, InvalidUpload, UploadTooLarge
from webapp.mlops.services import model_version_ensure_active
from webapp.studies.models import Study
from webapp.studies.services import study_lock_open
from webapp.videos import ranges
from webapp.videos.events import Event
from webapp.videos.models import (
    ACTIVE_STATUSES,
    FrameResult,
    PolypEvent,
    Video,
    VideoFrameTimes,
    VideoRange,
    VideoStatus,
)
from webapp.videos.progress import broadcast

log = logging.getLogger(__name__)

# Containers we keep the extension of (for people browsing MEDIA_ROOT); the content decides acceptance.
KNOWN_VIDEO_EXTS = {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv"}
# A container may state a slightly different frame count than decodes (edit lists, a dropped last
# frame); under 95% of the stated count means the file was cut off (the same rule as inference.io).
MIN_DECODED_FRACTION = 0.95
_CHUNK = 1024 * 1024


# --- upload ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Probed:
    fps: float
    frame_count: int
    width: int
    height: int
    times: np.ndarray  # ms, every frame's presentation time (VideoFrameTimes)


class DuplicateVideo(Conflict):
    code = "duplicate_video"


def clean_filename(name: str) -> str:
    """The client's file name reduced to a display string: no directories, no control characters, NFC."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return name[:255] or "video"


def _spool(upload: UploadedFile, dest: Path) -> str:
    """Copy the upload to dest; return its sha256."""
    digest = hashlib.sha256()
    with dest.open("wb") as out:
        for chunk in upload.chunks(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _probe_video(path: Path) -> _Probed:
    """Decode the whole file once: it must be a video (by content) that decodes to its end."""
    try:
        src = probe(path)
    except InputError as exc:
        raise InvalidUpload(_without_path(exc, path)) from exc
    if src.kind != "video":
        raise InvalidUpload(f"the file is {'an image' if src.kind == 'image' else 'not a video'}; upload a video")
    cap = cv2.VideoCapture(str(path))
    try:
        times = ranges.frame_times(cap)  # every frame's presentation time: a range seeks by them
    finally:
        cap.release()
    decoded = len(times)
    if decoded == 0:
        raise InvalidUpload("the video has no decodable frames")
    if decoded < MIN_DECODED_FRACTION * src.count:
        raise InvalidUpload(f"the video is truncated or corrupt: {decoded} of {src.count} frames decode")
    return _Probed(fps=src.fps if src.fps > 0 else 0.0, frame_count=decoded, width=src.width, height=src.height,
                   times=times)


def _without_path(exc: Exception, path: Path) -> str:
    """InputError messages start with the file's path: a temporary name the user never saw."""
    message = str(exc)
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def video_storage_name(original_name: str) -> str:
    """A fresh name for a video in the media storage: videos/<uuid> with the client's extension when it is a known
    container (for people browsing the storage; the content decides acceptance)."""
    ext = Path(clean_filename(original_name)).suffix.lower()
    return f"videos/{uuid.uuid4().hex}{ext if ext in KNOWN_VIDEO_EXTS else ''}"


def video_upload(*, study: Study, upload: UploadedFile, user: User, enqueue: bool = True) -> Video:
    """Validate and store an uploaded video, then (enqueue) queue it for processing after commit.

    On any failure nothing remains: no row and no file.
    """
    if upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
        raise UploadTooLarge(f"the file is {upload.size} bytes; the limit is {settings.UPLOAD_MAX_BYTES} bytes")
    if not upload.size:
        raise InvalidUpload("the file is empty")
    with transaction.atomic():  # before reading the body: a closed study refuses at once
        study_lock_open(study_id=study.pk)
    tmp = media.scratch_dir() / f"{uuid.uuid4().hex}.part"
    try:
        checksum = _spool(upload, tmp)
        return video_create_from_file(study=study, user=user, path=tmp, original_name=upload.name,
                                      checksum=checksum, enqueue=enqueue)
    finally:
        tmp.unlink(missing_ok=True)


def video_create_from_file(
    *, study: Study, user: User, path: Path, original_name: str, checksum: str, stored_name: str | None = None,
    enqueue: bool = True, audit_detail: dict | None = None,
) -> Video:
    """The checks and the write of every video upload (video_upload; the resumable uploads of webapp/transfers):
    `path` is the whole file on this machine and `checksum` its sha256. It must decode as a video to its end and
    not be in the study already (409 duplicate_video); then the Video is created (audited as video_upload, with
    audit_detail) and, with enqueue, queued after commit.

    stored_name: the file is in the media storage under this name already (an upload assembled in the bucket; path
    is a local copy of it). Else path is a scratch file, moved into the storage under video_storage_name.
    On any failure nothing remains: no row, and no stored file (stored_name's included).
    """
    stored = stored_name
    try:
        info = _probe_video(path)
        size = path.stat().st_size
        if stored is None:
            stored = media.store(video_storage_name(original_name), path, move=True)  # whole or not at all
        with transaction.atomic():
            study_lock_open(study_id=study.pk)  # closed meanwhile? (the lock also orders twin uploads)
            twin = (Video.objects.filter(study=study, checksum=checksum).exclude(status=VideoStatus.FAILED)
                    .order_by("pk").first())
            if twin is not None:  # a failed one may be uploaded again: its processing could have failed on us
                raise DuplicateVideo(
                    f"this file is already in the study as video {twin.pk} ({twin.original_name}, uploaded "
                    f"{twin.created_at:%Y-%m-%d %H:%M} UTC, {twin.status})"
                )
            video = Video.objects.create(
                study=study,
                uploaded_by=user,
                file=stored,
                original_name=clean_filename(original_name),
                checksum=checksum,
                size_bytes=size,
                fps=info.fps,
                frame_count=info.frame_count,
                duration_s=info.frame_count / info.fps if info.fps else 0.0,
                width=info.width,
                height=info.height,
            )
            VideoFrameTimes.objects.create(video=video, times_ms=ranges.pack_times(info.times))
            audit_record(actor=user, action=Action.VIDEO_UPLOAD, target=video,
                         detail={"checksum": checksum, **(audit_detail or {})})
            if enqueue:
                transaction.on_commit(lambda: _enqueue(video.pk))
    except BaseException:
        if stored is not None:
            media.discard(stored)
        raise
    return video


# The worker's task (webapp/videos/tasks.py), named rather than imported: the web side never loads the pipeline.
PROCESS_VIDEO_TASK = "videos.process_video"


def _enqueue(video_id: int) -> None:
    """Queue the video for a worker (queue "gpu", routed in settings); where the task is registered,
    CELERY_TASK_ALWAYS_EAGER runs it in process as any task."""
    signature(PROCESS_VIDEO_TASK, args=(video_id,)).delay()


def video_cancel(*, video: Video, user: User) -> Video:
    """Stop a queued or running video; the worker stops at its next batch."""
    with transaction.atomic():
        video = Video.objects.select_for_update().get(pk=video.pk)
        if video.status not in ACTIVE_STATUSES:
            raise Conflict(f"the video is {video.status}; only queued or processing videos can be cancelled")
        video.status = VideoStatus.CANCELLED
        video.finished_at = timezone.now()
        video.save(update_fields=["status", "finished_at"])
        audit_record(actor=user, action=Action.VIDEO_CANCEL, target=video)
    broadcast(video.pk, _status_message(video))
    return video


VIDEO_RESUME = Action.VIDEO_RESUME


def video_resume(*, video: Video, user: User) -> Video:
    """Queue a cancelled video again: each of its ranges continues after its last stored frame (range_process) with
    the model version the video started with. 409 unless cancelled, and on a closed study (study_lock_open). Audited
    with the frames stored so far (`from_frame`: the frame it resumes from when the video is one range)."""
    with transaction.atomic():
        study_lock_open(study_id=video.study_id)  # study first, then video (the order every write keeps)
        video = Video.objects.select_for_update().get(pk=video.pk)
        if video.status != VideoStatus.CANCELLED:
            raise Conflict(f"the video is {video.status}; only a cancelled video can be resumed")
        # The progress a cancelled run had stored (its last batches may be stored without being counted: the progress
        # UPDATE no longer matches once the video was cancelled).
        video.frames_done = FrameResult.objects.filter(video=video).count()
        video.status, video.finished_at, video.error = VideoStatus.QUEUED, None, ""
        video.queued_at = timezone.now()
        video.save(update_fields=["status", "finished_at", "error", "frames_done", "queued_at"])
        VideoRange.objects.filter(video=video).update(attempts=0)  # a resume starts the count anew
        audit_record(actor=user, action=VIDEO_RESUME, target=video, detail={"from_frame": video.frames_done})
        transaction.on_commit(lambda: _enqueue(video.pk))
    broadcast(video.pk, _status_message(video))
    return video


def video_reprocess(*, video: Video, user: User) -> Video:
    """Queue a finished (or failed, or cancelled) video to be processed again with the active model version.

    Its frame results and ranges are replaced (planned anew, with today's VIDEO_RANGE_FRAMES); its verdicts stay
    (carried over to the new events, _store_events) and so do its corrections (mask revisions are keyed by frame, not
    by result). Audited with both versions.
    """
    with transaction.atomic():
        study_lock_open(study_id=video.study_id)  # study first, then video (the order every write keeps)
        video = Video.objects.select_for_update().get(pk=video.pk)
        if video.status in ACTIVE_STATUSES:
            raise Conflict(f"the video is {video.status}; wait until it is done, or cancel it first")
        active = model_version_ensure_active()
        if video.status == VideoStatus.DONE and video.model_version_id == active.pk:
            raise Conflict(f"the video was processed with the active model ({active.version}) already")
        previous = video.model_version
        FrameResult.objects.filter(video=video).delete()
        VideoRange.objects.filter(video=video).delete()  # a worker still on one finds its range gone and stops
        video.status, video.model_version, video.error = VideoStatus.QUEUED, None, ""
        video.frames_done, video.processing_fps, video.started_at, video.finished_at = 0, None, None, None
        video.queued_at = timezone.now()
        video.save(update_fields=["status", "model_version", "error", "frames_done", "processing_fps", "started_at",
                                  "finished_at", "queued_at"])
        audit_record(actor=user, action=Action.VIDEO_REPROCESS, target=video,
                     detail={"previous_model": previous.pk if previous else None, "model": active.pk})
        transaction.on_commit(lambda: _enqueue(video.pk))
    broadcast(video.pk, _status_message(video))
    return video


def _status_message(video: Video, events: list[Event] | None = None, fps: float | None = None) -> dict:
    remaining = max(video.frame_count - video.frames_done, 0)
    return {
        "type": "progress",
        "video": video.pk,
        "status": video.status,
        "frames_done": video.frames_done,
        "frame_count": video.frame_count,
        "fps": round(fps, 2) if fps else None,
        "eta_s": round(remaining / fps, 1) if fps and video.status == VideoStatus.PROCESSING else None,
        "events": [e.as_dict() for e in events] if events is not None else None,
        "error": video.error or None,
    }


def video_delete(*, video: Video, user: User) -> None:
    """Delete a video with its frames, events, verdicts and revisions (admins only; audited with what
    went). The file is removed once the rows are gone for good (after commit)."""
    with transaction.atomic():
        video = Video.objects.select_for_update().get(pk=video.pk)
        if video.status == VideoStatus.PROCESSING:
            raise Conflict("the video is being processed; cancel it first, then delete it")
        detail = {
            "study": video.study_id, "original_name": video.original_name, "checksum": video.checksum,
            "frames": FrameResult.objects.filter(video=video).count(),
            "events": PolypEvent.objects.filter(video=video).count(),
            "verdicts": Verdict.objects.filter(event__video=video).count(),
            "revisions": MaskRevision.objects.filter(video=video).count(),
        }
        audit_record(actor=user, action=Action.VIDEO_DELETE, target=video, detail=detail)
        name = video.file.name
        video.delete()
        transaction.on_commit(lambda: media.discard(name))
