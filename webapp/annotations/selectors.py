"""Reads on verdicts and mask revisions: mask targets, the current mask, and the two work queues."""

from __future__ import annotations

import numpy as np
from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from webapp.accounts.models import User
from webapp.annotations.labels import ground_truth_of, labelled_targets, newest_revision
from webapp.annotations.models import MaskRevision, Propagation, RevisionKind, Verdict, VerdictValue
from webapp.annotations.targets import MaskTarget
from webapp.annotations.temporal import temporal_inconsistency
from webapp.studies.models import Mask, MaskSource, StillImage, StudyStatus
from webapp.studies.selectors import image_get_visible, study_list_visible
from webapp.videos.events import LOW_SCORE, frames_for
from webapp.videos.models import FrameResult, PolypEvent, Video, VideoStatus
from webapp.videos.selectors import video_get_visible

# The low-confidence band of the correction queue: below LOW_SCORE the model sees no polyp; from 0.7 on
# its peak probability is far enough above the 0.5 mask threshold to trust the outline more than not.
UNCERTAIN_BAND = (LOW_SCORE, 0.7)
# At most this many low-confidence frames per video, at least a second apart: neighbouring frames look
# alike, and correcting one of them teaches the model as much as correcting all.
LOW_CONFIDENCE_PER_VIDEO = 20
LOW_CONFIDENCE_SPACING_S = 1.0
# Temporally inconsistent frames per video, capped and spaced like the band, for the same reason.
TEMPORAL_PER_VIDEO = 20
# The correction queue is built in Python from several sources; past this many items nobody scrolls.
CORRECTION_QUEUE_LIMIT = 500


def frame_target_get_visible(*, user: User, video_id: int, index: int) -> MaskTarget:
    video = video_get_visible(user=user, video_id=video_id)
    if not 0 <= index < video.frame_count:
        raise Http404(f"the video has frames 0..{video.frame_count - 1}")
    return MaskTarget(video=video, frame_index=index)


def image_target_get_visible(*, user: User, image_id: int) -> MaskTarget:
    return MaskTarget(image=image_get_visible(user=user, image_id=image_id))


def revisions_of(*, target: MaskTarget) -> QuerySet[MaskRevision]:
    """The target's revisions, newest first (the first one is the current mask)."""
    return MaskRevision.objects.filter(**target.fields()).select_related("author").order_by("-created_at", "-id")


def proposals_of(*, video: Video) -> QuerySet[MaskRevision]:
    """The video's frames whose current revision is a propagated proposal (awaiting a person), by frame."""
    return MaskRevision.objects.filter(video=video, next_revision__isnull=True, kind=RevisionKind.PROPAGATED).order_by(
        "frame_index")


def propagation_get_visible(*, user: User, propagation_id: int) -> Propagation:
    job = Propagation.objects.select_related("requested_by").filter(pk=propagation_id).first()
    if job is None:
        raise Http404("no such propagation")
    video_get_visible(user=user, video_id=job.video_id)  # 404 when the video is not the user's to see
    return job


def prediction_of(*, target: MaskTarget) -> tuple[str, int] | None:
    """The model's mask of the target and its model version id: the frame's result, or the image's newest
    model mask (written by the still-image prediction task); None before the model has seen it."""
    if target.video is not None:
        return (
            FrameResult.objects.filter(video=target.video, index=target.frame_index)
            .values_list("mask_rle", "model_version_id").first()
        )
    return (
        Mask.objects.filter(image=target.image, source=MaskSource.MODEL).order_by("-created_at", "-id")
        .values_list("rle", "model_version_id").first()
    )


def mask_state(*, target: MaskTarget) -> dict:
    """Everything an editor needs to start: the prediction, the ground truth and the current revision
    (the current label is the revision, else the ground truth: webapp.annotations.labels)."""
    prediction = prediction_of(target=target)
    ground_truth = ground_truth_of(image=target.image) if target.image is not None else None
    return {
        "height": target.height,
        "width": target.width,
        "prediction": prediction[0] if prediction else None,
        "ground_truth": ground_truth.rle if ground_truth else None,
        "current": newest_revision(target=target),
    }


def _newest_verdicts() -> Prefetch:
    return Prefetch(
        "verdicts",
        queryset=Verdict.objects.select_related("reviewer").order_by("-created_at", "-id"),
        to_attr="verdict_history",
    )


def events_with_verdicts(events: QuerySet[PolypEvent]) -> QuerySet[PolypEvent]:
    """Events with `verdict_history` (newest first) prefetched in one extra query."""
    return events.prefetch_related(_newest_verdicts())


def event_get_visible(*, user: User, event_id: int) -> PolypEvent:
    event = (
        PolypEvent.objects.select_related("video")
        .filter(pk=event_id, video__study__in=study_list_visible(user=user).values("id"))
        .first()
    )
    if event is None:
        raise Http404("no such event")
    return event


def review_queue(*, user: User) -> QuerySet[PolypEvent]:
    """Events of finished videos that nobody has judged yet, oldest video first, in video order. A closed
    (signed-off) study's events are not in it: they cannot be judged any more, and the review page's "Next"
    must not lead into a study that refuses every verdict."""
    judged = Verdict.objects.filter(event=OuterRef("pk"))
    return (
        PolypEvent.objects.filter(
            video__study__in=study_list_visible(user=user).values("id"), video__status=VideoStatus.DONE
        )
        .exclude(video__study__status=StudyStatus.CLOSED)
        .exclude(Exists(judged))
        .select_related("video", "video__study__patient")
        .order_by("video__created_at", "video_id", "start_index")
    )


def _spaced(frames: list[tuple[int, float]], spacing: int, cap: int) -> list[tuple[int, float]]:
    """The first `cap` frames of `frames` (index, score), in their order, each `spacing` frames from those kept."""
    chosen: list[tuple[int, float]] = []
    for index, score in frames:
        if len(chosen) >= cap:
            break
        if all(abs(index - c) >= spacing for c, _ in chosen):
            chosen.append((index, score))
    return chosen


def correction_queue(*, user: User) -> list[dict]:
    """Frames and images that need a person's mask, most useful first, none already corrected:
    1. peak frames of events judged false positive (the model drew a polyp that is not there),
    2. peak frames of events judged uncertain,
    3. temporally inconsistent frames (webapp.annotations.temporal: the mask appears, vanishes or jumps for
       one frame while its neighbours agree: a confident error the band misses), at most TEMPORAL_PER_VIDEO
       a video, spaced LOW_CONFIDENCE_SPACING_S apart, strongest first,
    4. frames whose score lies in UNCERTAIN_BAND (the model hesitated), at most LOW_CONFIDENCE_PER_VIDEO
       a video, spaced LOW_CONFIDENCE_SPACING_S apart, most uncertain first,
    5. still images with neither ground truth nor a revision.
    """
    studies = study_list_visible(user=user).values("id")
    videos = Video.objects.filter(study__in=studies, status=VideoStatus.DONE)
    corrected, labelled_images = labelled_targets(study_ids=studies)
    items: list[dict] = []

    def add_frame(video: Video, index: int, reason: str, score: float) -> None:
        if (video.pk, index) not in corrected:
            corrected.add((video.pk, index))  # once per frame, under its first reason
            items.append({"kind": "frame", "video": video.pk, "frame": index, "image": None,
                          "study": video.study_id, "patient_pseudo_id": video.study.patient.pseudo_id,
                          "name": video.original_name, "reason": reason, "score": round(score, 4),
                          "time_s": round(index / video.fps, 3) if video.fps else None})

    videos = videos.select_related("study__patient")
    events = events_with_verdicts(
        PolypEvent.objects.filter(video__in=videos).select_related("video__study__patient")
    )
    judged = [(e, e.verdict_history[0].value) for e in events if e.verdict_history]
    by_verdict = ((VerdictValue.FALSE_POSITIVE, "rejected_event"), (VerdictValue.UNCERTAIN, "uncertain_event"))
    for wanted, reason in by_verdict:
        for event, value in judged:
            if value == wanted:
                add_frame(event.video, event.peak_index, reason, event.peak_score)

    low, high = UNCERTAIN_BAND
    band: list[tuple[Video, int, float]] = []
    for video in videos.order_by("created_at", "id"):
        spacing = frames_for(LOW_CONFIDENCE_SPACING_S, video.fps)
        rows = FrameResult.objects.filter(video=video).order_by("index").values_list("index", "score", "area")
        if not rows:
            continue
        index, score, area = (np.asarray(column) for column in zip(*rows, strict=True))
        strength = temporal_inconsistency(score, area)
        # Only frames whose neighbours are the adjacent frames (a finished video has every frame).
        strength[1:-1] *= (index[2:] - index[:-2]) == 2
        jumps = [(int(index[i]), float(score[i])) for i in np.argsort(-strength, kind="stable") if strength[i] > 0]
        for i, s in _spaced(jumps, spacing, TEMPORAL_PER_VIDEO):
            add_frame(video, i, "temporal_inconsistency", s)
        in_band = [(int(i), float(s)) for i, s in zip(index, score, strict=True) if low <= s < high]
        uncertain_first = sorted(in_band, key=lambda row: abs(row[1] - 0.5))
        band.extend((video, i, s) for i, s in _spaced(uncertain_first, spacing, LOW_CONFIDENCE_PER_VIDEO))
        if len(items) + len(band) >= CORRECTION_QUEUE_LIMIT:
            break
    for video, i, s in band:  # after every video's confident errors
        add_frame(video, i, "low_confidence", s)

    unlabelled = (
        StillImage.objects.filter(study__in=studies).exclude(pk__in=labelled_images)
        .select_related("study__patient").order_by("id")
    )
    for image in unlabelled[:CORRECTION_QUEUE_LIMIT]:
        items.append({"kind": "image", "video": None, "frame": None, "image": image.pk, "study": image.study_id,
                      "patient_pseudo_id": image.study.patient.pseudo_id, "name": image.original_name, "time_s": None,
                      "reason": "no_ground_truth", "score": None})
    return items[:CORRECTION_QUEUE_LIMIT]


def corrections_by_model_version() -> dict[int, dict]:
    """Per model version id: {"count": targets whose first revision corrected its prediction, "mean_dice": the
    mean Dice of those predictions and the people's masks (None when none has one)}.

    Only a target's first person's revision counts: it is the one drawn on (or accepted over) the model's own
    output; later revisions refine a person's mask. Propagated proposals are not people's masks; a person's
    revision on top of one (an accept or an edit) is that target's first.
    """
    first_persons = Q(based_on__isnull=True) | Q(based_on__kind=RevisionKind.PROPAGATED)
    rows = (
        MaskRevision.objects.filter(first_persons, kind=RevisionKind.PERSON, model_version__isnull=False)
        .values("model_version_id").order_by("model_version_id")
        .annotate(count=Count("id"), mean_dice=Avg("prediction_dice"))
    )
    return {row["model_version_id"]: {"count": row["count"], "mean_dice": row["mean_dice"]} for row in rows}
