"""Reads on videos; every read goes through the visibility of the video's study."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from webapp.accounts.models import User
from webapp.studies.models import Study
from webapp.studies.selectors import study_list_visible
from webapp.videos import rle
from webapp.videos.models import FrameResult, PolypEvent, Video


def video_list_for_study(*, study: Study) -> QuerySet[Video]:
    return Video.objects.filter(study=study).select_related("model_version")


def video_get_visible(*, user: User, video_id: int) -> Video:
    """The video, or 404 when it does not exist or its study is not visible to the user."""
    video = (
        Video.objects.select_related("model_version", "study")
        .filter(pk=video_id, study__in=study_list_visible(user=user).values("id"))
        .first()
    )
    if video is None:
        raise Http404("no such video")
    return video


def video_timeline(*, video: Video) -> dict:
    """Every stored frame's score, area and flag as parallel arrays (index i = frame i)."""
    rows = FrameResult.objects.filter(video=video).order_by("index").values_list("index", "score", "area", "flagged")
    indices, scores, areas, flagged = [], [], [], []
    for index, score, area, flag in rows.iterator(chunk_size=5000):
        indices.append(index)
        scores.append(round(score, 4))
        areas.append(round(area, 5))
        flagged.append(int(flag))
    return {
        "video": video.pk,
        "fps": video.fps,
        "frame_count": video.frame_count,
        "frames_done": video.frames_done,
        "model_version": video.model_version.version if video.model_version else None,
        "index": indices,
        "score": scores,
        "area": areas,
        "flagged": flagged,
    }


def video_events(*, video: Video) -> QuerySet[PolypEvent]:
    return PolypEvent.objects.filter(video=video).order_by("start_index")


def video_frame_png(*, video: Video, index: int) -> bytes:
    """Frame `index` of the video, decoded from the stored file, as PNG bytes."""
    if not 0 <= index < video.frame_count:
        raise Http404(f"the video has frames 0..{video.frame_count - 1}")
    cap = cv2.VideoCapture(str(Path(settings.MEDIA_ROOT) / video.file.name))
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
    finally:
        cap.release()
    if not ok:
        raise Http404(f"frame {index} could not be decoded")
    return cv2.imencode(".png", frame)[1].tobytes()


def video_mask_png(*, video: Video, index: int) -> bytes:
    """The model's mask of frame `index` as a 0/255 PNG at the video's size; 404 until it is processed."""
    result = FrameResult.objects.filter(video=video, index=index).only("mask_rle").first()
    if result is None:
        raise Http404(f"frame {index} has no result yet")
    mask = rle.decode(result.mask_rle, video.height, video.width)
    return cv2.imencode(".png", mask.astype(np.uint8) * 255)[1].tobytes()
