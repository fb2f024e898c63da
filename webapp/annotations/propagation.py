"""The worker's side of mask propagation (task `annotations.propagate`): decode the frames around a corrected
keyframe, carry its mask outward with inference.propagate, store each reached frame's proposal as a revision of
kind `propagated`. Imported by the task only (it decodes video with OpenCV).

Each direction walks from the keyframe until the request's frame count, the video's end, a scene change, lost
flow with no model support, or the next frame a person corrected (that frame is a second keyframe: the frames
between are walked from both sides and blended by distance). Proposals never overwrite a person's revision:
frames a person corrects while the walk runs are skipped when the proposals are written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import cv2
import numpy as np
from django.db import transaction
from django.utils import timezone

from inference.propagate import PropagationConfig, Walk, blend, prior_from_mask, propagate
from webapp import media
from webapp.annotations.models import MaskRevision, Propagation, PropagationStatus, RevisionKind
from webapp.annotations.services import _provenance
from webapp.annotations.targets import MaskTarget
from webapp.videos import rle
from webapp.videos.models import FrameResult, Video

log = logging.getLogger(__name__)


def propagation_run(*, propagation_id: int) -> None:
    """Idempotent: a finished request does nothing; a rerun of an interrupted one writes what is still missing
    (frames whose head is already this request's proposal are skipped)."""
    job = Propagation.objects.select_related("video", "source").get(pk=propagation_id)
    if job.status in (PropagationStatus.DONE, PropagationStatus.FAILED):
        return
    try:
        _run(job)
    except Exception as exc:
        Propagation.objects.filter(pk=job.pk).update(status=PropagationStatus.FAILED, finished_at=timezone.now(),
                                                     error=f"{type(exc).__name__}: {exc}")
        raise


def _person_frames(video: Video, lo: int, hi: int) -> dict[int, MaskRevision]:
    """Frames lo..hi whose current revision is a person's, with that revision."""
    heads = MaskRevision.objects.filter(video=video, frame_index__gte=lo, frame_index__lte=hi,
                                        next_revision__isnull=True, kind=RevisionKind.PERSON)
    return {r.frame_index: r for r in heads}


def _run(job: Propagation) -> None:
    started = time.perf_counter()
    video, key = job.video, job.frame_index
    lo, hi = max(0, key - job.backward), min(video.frame_count - 1, key + job.forward)
    persons = _person_frames(video, lo, hi)
    # Each direction ends before the next person-corrected frame, which becomes the far keyframe of a blend.
    after = sorted(i for i in persons if i > key)
    before = sorted((i for i in persons if i < key), reverse=True)
    end_fwd = after[0] if after else None
    end_bwd = before[0] if before else None
    fwd_last = end_fwd - 1 if end_fwd is not None else hi
    bwd_first = end_bwd + 1 if end_bwd is not None else lo
    total = (fwd_last - key) + (key - bwd_first)
    Propagation.objects.filter(pk=job.pk).update(status=PropagationStatus.RUNNING, frames_total=total)

    first = min(bwd_first, end_bwd if end_bwd is not None else bwd_first)
    last = max(fwd_last, end_fwd if end_fwd is not None else fwd_last)
    frames = _decode(video, first, last)
    priors = _Priors(video, first, last)
    h, w = video.height, video.width

    def mask_of(revision: MaskRevision) -> np.ndarray:
        return rle.decode(revision.rle, h, w).astype(bool)

    done_before = 0  # proposals of the walks already finished
    last_report = [0.0]

    def progress(n: int) -> None:
        # The row is what GET /api/propagations/{id}/ shows; written at most every 0.25 s.
        now = time.perf_counter()
        if now - last_report[0] >= 0.25:
            last_report[0] = now
            Propagation.objects.filter(pk=job.pk).update(frames_done=min(total, done_before + n))

    def walk(start: int, stop: int, key_mask: np.ndarray) -> Walk:
        nonlocal done_before
        step = 1 if stop >= start else -1
        idx = list(range(start, stop + step, step))
        config = PropagationConfig(max_frames=len(idx) - 1)
        result = propagate([frames[i] for i in idx], key_mask, _Lazy(priors, idx), config, on_step=progress)
        done_before += len(result.soft)
        return result

    key_mask = mask_of(job.source)
    proposals: dict[int, tuple[np.ndarray, MaskRevision, MaskRevision | None]] = {}
    result: dict = {}
    for name, last_frame, far in (("forward", fwd_last, end_fwd), ("backward", bwd_first, end_bwd)):
        if last_frame == key:
            result[name] = {"frames": [], "stop_reason": "limit" if far is None else "keyframe", "until": far}
            continue
        sign = 1 if name == "forward" else -1
        near_walk = walk(key, last_frame, key_mask)
        soft = {key + sign * (i + 1): s for i, s in enumerate(near_walk.soft)}
        origin = {frame: (job.source, None) for frame in soft}
        reason = near_walk.stop_reason
        far_rev = persons.get(far) if far is not None else None
        if far_rev is not None:
            # Between two corrected keyframes: walk back from the far one too and blend both by distance.
            far_walk = walk(far, key + sign, mask_of(far_rev))
            for i, s in enumerate(far_walk.soft):
                frame = far - sign * (i + 1)
                if frame in soft:
                    soft[frame] = blend(soft[frame], s, abs(frame - key), abs(far - frame))
                    origin[frame] = (job.source, far_rev)
                else:
                    soft[frame], origin[frame] = s, (far_rev, None)
            reason = "keyframe" if len(soft) == abs(last_frame - key) else reason
        for frame, s in soft.items():
            proposals[frame] = (s >= 0.5, *origin[frame])
        reached = sorted(soft)
        result[name] = {"frames": [reached[0], reached[-1]] if reached else [], "stop_reason": reason,
                        "until": far}
        Propagation.objects.filter(pk=job.pk).update(frames_done=len(proposals))

    written = _write(job, proposals)
    result["proposals"] = written
    result["seconds"] = round(time.perf_counter() - started, 3)
    Propagation.objects.filter(pk=job.pk).update(status=PropagationStatus.DONE, frames_done=total,
                                                 result=result, finished_at=timezone.now())
    log.info("propagation %s: %d proposals around frame %d of video %d in %.2f s", job.pk, written, key,
             video.pk, result["seconds"])


def _write(job: Propagation, proposals: dict[int, tuple[np.ndarray, MaskRevision, MaskRevision | None]]) -> int:
    """Store the proposals in one transaction, each on top of its frame's current revision; skip frames whose
    current revision is a person's (corrected meanwhile) or already this request's proposal (a rerun)."""
    if not proposals:
        return 0
    video = job.video
    with transaction.atomic():
        Video.objects.select_for_update().filter(pk=video.pk).first()  # the same lock as a person's save
        current = MaskRevision.objects.filter(video=video, frame_index__in=list(proposals), next_revision__isnull=True)
        heads = {r.frame_index: r for r in current}
        rows = []
        for frame, (mask, source, other) in sorted(proposals.items()):
            head = heads.get(frame)
            if head is not None and (head.kind == RevisionKind.PERSON or head.propagated_from_id == source.pk
                                     and head.created_at >= job.created_at):
                continue
            target = MaskTarget(video=video, frame_index=frame)
            model_version_id, dice = _provenance(target, mask)
            rows.append(MaskRevision(
                video=video, frame_index=frame, based_on=head, author=job.requested_by, height=video.height,
                width=video.width, rle=rle.encode(mask), note=f"propagated from frame {job.frame_index}",
                model_version_id=model_version_id, prediction_dice=dice, kind=RevisionKind.PROPAGATED,
                propagated_from=source, blended_with=other,
            ))
        MaskRevision.objects.bulk_create(rows)
    return len(rows)


def _decode(video: Video, first: int, last: int) -> dict[int, np.ndarray]:
    """Frames first..last as (H, W, 3) uint8 BGR, by seeking to `first` (OpenCV's FFmpeg backend seeks to the
    keyframe before it and decodes forward, so the frame numbers are exact)."""
    out: dict[int, np.ndarray] = {}
    with media.local_copy(video.file.name) as path:
        cap = cv2.VideoCapture(str(path))
        try:
            if first > 0:
                cap.set(cv2.CAP_PROP_POS_FRAMES, first)
            for index in range(first, last + 1):
                ok, frame = cap.read()
                if not ok:
                    raise ValueError(f"the video's frame {index} could not be decoded")
                out[index] = frame
        finally:
            cap.release()
    return out


class _Priors:
    """The stored predictions of frames first..last as probability maps (workers store masks, not maps), decoded
    when a walk first reaches a frame: a walk that stops early costs nothing for the frames beyond."""

    def __init__(self, video: Video, first: int, last: int) -> None:
        rows = FrameResult.objects.filter(video=video, index__gte=first, index__lte=last).values_list("index",
                                                                                                     "mask_rle")
        self.texts, self.shape, self.maps = dict(rows), (video.height, video.width), {}

    def get(self, index: int) -> np.ndarray | None:
        if index not in self.maps:
            text = self.texts.get(index)
            self.maps[index] = None if text is None else prior_from_mask(rle.decode(text, *self.shape).astype(bool))
        return self.maps[index]


class _Lazy(Sequence):
    """priors[step] of one walk, computed on first access."""

    def __init__(self, priors: _Priors, indices: list[int]) -> None:
        self.priors, self.indices = priors, indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, step):  # type: ignore[override]
        return self.priors.get(self.indices[step])
