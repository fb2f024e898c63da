"""Reads on videos; every read goes through the visibility of the video's study."""

from __future__ import annotations

import cv2
import numpy as np
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from webapp.accounts.models import User
from webapp.annotations.models import Verdict
from webapp.media import decoder_source
from webapp.previews import preview_jpeg
from webapp.studies.models import Study
from webapp.studies.selectors import study_list_visible
from webapp.videos import rle
from webapp.videos.models import FrameResult, PolypEvent, Video, VideoStatus


def video_list_for_study(*, study: Study) -> QuerySet[Video]:
    return Video.objects.filter(study=study).select_related("model_version", "study__patient")


def video_get_visible(*, user: User, video_id: int) -> Video:
    """The video, or 404 when it does not exist or its study is not visible to the user."""
    video = (
        Video.objects.select_related("model_version", "study__patient")
        .filter(pk=video_id, study__in=study_list_visible(user=user).values("id"))
        .first()
    )
    if video is None:
        raise Http404("no such video")
    return video


def video_timeline(*, video: Video) -> dict:
    """Every stored frame's score, area and flag as parallel arrays (index i = frame i).

    One query, rounded in NumPy: an 18,000-frame video answers in about 60 ms on the dev machine, where a
    server-side cursor and per-value rounding took twice that.
    """
    rows = FrameResult.objects.filter(video=video).order_by("index").values_list("index", "score", "area", "flagged")
    table = np.array(list(rows), dtype=np.float64).reshape(-1, 4)
    return {
        "video": video.pk,
        "fps": video.fps,
        "frame_count": video.frame_count,
        "frames_done": video.frames_done,
        "model_version": video.model_version.version if video.model_version else None,
        "index": table[:, 0].astype(np.int64).tolist(),
        "score": table[:, 1].round(4).tolist(),  # 4 decimals: a heat strip cannot show finer; halves the size
        "area": table[:, 2].round(5).tolist(),
        "flagged": table[:, 3].astype(np.int64).tolist(),
    }


def video_events(*, video: Video) -> QuerySet[PolypEvent]:
    return PolypEvent.objects.filter(video=video).order_by("start_index")


# Largest chunk of masks one request returns: 500 frames is 20 s at 25 fps, ~300 KB of RLE.
MASK_CHUNK_MAX = 500


def video_list_with_counts(*, study: Study) -> QuerySet[Video]:
    """The study's videos with `events_count` and `pending_events` (events without a verdict)."""
    events = PolypEvent.objects.filter(video=OuterRef("pk"))
    # Pending: awaiting a verdict, as the review queue counts them (events of finished videos only: a
    # processing video's events may still change, a cancelled one's are never judged).
    judged = Verdict.objects.filter(event=OuterRef("pk"))
    pending = events.filter(video__status=VideoStatus.DONE).exclude(Exists(judged))
    return video_list_for_study(study=study).annotate(
        events_count=_count(events), pending_events=_count(pending)
    )


def _count(queryset: QuerySet) -> Subquery:
    return Coalesce(Subquery(queryset.order_by().values("video").annotate(n=Count("pk")).values("n")[:1]), 0)


def video_masks(*, video: Video, start: int, end: int) -> dict:
    """The model's masks of frames start..end-1 (at most MASK_CHUNK_MAX) as RLE strings by frame index."""
    end = min(end, start + MASK_CHUNK_MAX)
    rows = FrameResult.objects.filter(video=video, index__gte=start, index__lt=end).values_list("index", "mask_rle")
    return {"height": video.height, "width": video.width, "start": start, "end": end,
            "masks": {str(index): text for index, text in rows}}


def video_frame_jpeg(*, video: Video, index: int, width: int | None = None) -> bytes:
    """Frame `index` as JPEG, scaled down to `width` pixels wide when given (never up)."""
    return preview_jpeg(_read_frame(video, index), width)


def video_frame_png(*, video: Video, index: int) -> bytes:
    """Frame `index` of the video, decoded from the stored file, as PNG bytes."""
    return cv2.imencode(".png", _read_frame(video, index))[1].tobytes()


def _read_frame(video: Video, index: int) -> np.ndarray:
    if not 0 <= index < video.frame_count:
        raise Http404(f"the video has frames 0..{video.frame_count - 1}")
    cap = cv2.VideoCapture(decoder_source(video.file.name))  # a local file or a presigned URL
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
    finally:
        cap.release()
    if not ok:
        raise Http404(f"frame {index} could not be decoded")
    return frame


def video_mask_png(*, video: Video, index: int) -> bytes:
    """The model's mask of frame `index` as a 0/255 PNG at the video's size; 404 until it is processed."""
    result = FrameResult.objects.filter(video=video, index=index).only("mask_rle").first()
    if result is None:
        raise Http404(f"frame {index} has no result yet")
    mask = rle.decode(result.mask_rle, video.height, video.width)
    return cv2.imencode(".png", mask.astype(np.uint8) * 255)[1].tobytes()
