"""The current label of a target: the one answer the editor, the queues, the export and training read.

A person's mask is exactly one table, MaskRevision (append-only, one chain per target). The current label of
a target is its newest revision when a person made it (a propagated proposal is not a label until a person
accepts or corrects it); a still image with no revision falls back to its imported ground truth
(studies.Mask with source ground_truth); anything else has no label. Model masks (FrameResult, studies.Mask
with source model) are predictions, never labels.

The newest revision of a target is the head of its chain: the one revision nothing is based on (the chain's
unique constraints make it unique), which one query finds for many targets on any database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from webapp.annotations.models import MaskRevision, RevisionKind
from webapp.annotations.targets import MaskTarget
from webapp.studies.models import Mask, MaskSource, StillImage


@dataclass(frozen=True)
class Label:
    kind: str                 # "frame" | "image"
    video_id: int | None
    frame_index: int | None
    image_id: int | None
    study_id: int
    patient_id: int
    height: int
    width: int
    rle: str                  # compressed COCO RLE counts (webapp.videos.rle), height x width
    source: str               # "revision" | "ground_truth"
    revision_id: int | None   # the MaskRevision when source == "revision"
    mask_id: int | None       # the studies.Mask (ground truth) when source == "ground_truth"


REVISION = "revision"
GROUND_TRUTH = "ground_truth"


def newest_revision(*, target: MaskTarget) -> MaskRevision | None:
    """The target's current revision (with its author), or None when nobody has drawn on it."""
    return (
        MaskRevision.objects.filter(**target.fields()).select_related("author").order_by("-created_at", "-id").first()
    )


def ground_truth_of(*, image: StillImage) -> Mask | None:
    """The image's imported ground truth (the newest, should an image ever hold two)."""
    return Mask.objects.filter(image=image, source=MaskSource.GROUND_TRUTH).order_by("-created_at", "-id").first()


def current_label(*, target: MaskTarget) -> Label | None:
    """The newest revision of the target (a person's), else its imported ground truth, else None."""
    revision = newest_revision(target=target)
    if revision is not None and revision.kind != RevisionKind.PERSON:
        return None  # a proposal on a frame (propagation never writes on top of a person's revision)
    video, image = target.video, target.image
    if video is not None:
        if revision is None:
            return None
        return Label(kind="frame", video_id=video.pk, frame_index=target.frame_index, image_id=None,
                     study_id=video.study_id, patient_id=video.study.patient_id, height=revision.height,
                     width=revision.width, rle=revision.rle, source=REVISION, revision_id=revision.pk, mask_id=None)
    assert image is not None
    common = {"kind": "image", "video_id": None, "frame_index": None, "image_id": image.pk,
              "study_id": image.study_id, "patient_id": image.study.patient_id}
    if revision is not None:
        return Label(**common, height=revision.height, width=revision.width, rle=revision.rle, source=REVISION,
                     revision_id=revision.pk, mask_id=None)
    mask = ground_truth_of(image=image)
    if mask is None:
        return None
    return Label(**common, height=image.height, width=image.width, rle=mask.rle, source=GROUND_TRUTH,
                 revision_id=None, mask_id=mask.pk)


def _ids(study_ids: Iterable[int]) -> QuerySet | list[int]:
    return study_ids if isinstance(study_ids, QuerySet) else list(study_ids)


def _frame_heads(ids: QuerySet | list[int]) -> QuerySet[MaskRevision]:
    """Frames whose newest revision is a person's (a proposal on top is not a label)."""
    return MaskRevision.objects.filter(video__study_id__in=ids, next_revision__isnull=True, kind=RevisionKind.PERSON)


def _image_heads(ids: QuerySet | list[int]) -> QuerySet[MaskRevision]:
    return MaskRevision.objects.filter(image__study_id__in=ids, next_revision__isnull=True)


def _ground_truths(ids: QuerySet | list[int]) -> QuerySet[Mask]:
    """Ground-truth masks of the images of these studies that no revision supersedes."""
    return (
        Mask.objects.filter(image__study_id__in=ids, source=MaskSource.GROUND_TRUTH)
        .exclude(image__revisions__isnull=False)
        .order_by("image_id", "-created_at", "-id")
    )


def current_labels(*, study_ids: Iterable[int]) -> list[Label]:
    """Every labelled target of these studies: frames with a revision, images with a revision or ground truth.

    Ordered by study, then frames (videos by id, then frame), then images by id. Three queries in all.
    """
    ids = _ids(study_ids)
    labels: list[Label] = []
    frames = _frame_heads(ids).values_list(
        "id", "video_id", "frame_index", "height", "width", "rle", "video__study_id", "video__study__patient_id"
    )
    for pk, video_id, frame, height, width, text, study_id, patient_id in frames:
        labels.append(Label(kind="frame", video_id=video_id, frame_index=frame, image_id=None, study_id=study_id,
                            patient_id=patient_id, height=height, width=width, rle=text, source=REVISION,
                            revision_id=pk, mask_id=None))
    images = _image_heads(ids).values_list(
        "id", "image_id", "height", "width", "rle", "image__study_id", "image__study__patient_id"
    )
    for pk, image_id, height, width, text, study_id, patient_id in images:
        labels.append(Label(kind="image", video_id=None, frame_index=None, image_id=image_id, study_id=study_id,
                            patient_id=patient_id, height=height, width=width, rle=text, source=REVISION,
                            revision_id=pk, mask_id=None))
    seen: set[int] = set()
    truths = _ground_truths(ids).values_list(
        "id", "image_id", "image__height", "image__width", "rle", "image__study_id", "image__study__patient_id"
    )
    for pk, image_id, height, width, text, study_id, patient_id in truths:
        if image_id in seen:  # an older ground truth of the same image
            continue
        seen.add(image_id)
        labels.append(Label(kind="image", video_id=None, frame_index=None, image_id=image_id, study_id=study_id,
                            patient_id=patient_id, height=height, width=width, rle=text, source=GROUND_TRUTH,
                            revision_id=None, mask_id=pk))
    labels.sort(key=_order)
    return labels


def _order(label: Label) -> tuple:
    if label.kind == "frame":
        return (label.study_id, 0, label.video_id, label.frame_index)
    return (label.study_id, 1, label.image_id, 0)


def labelled_targets(*, study_ids: Iterable[int]) -> tuple[set[tuple[int, int]], set[int]]:
    """The targets current_labels would return, without their masks: ({(video id, frame)}, {image id})."""
    ids = _ids(study_ids)
    frames = set(_frame_heads(ids).values_list("video_id", "frame_index"))
    images = set(_image_heads(ids).values_list("image_id", flat=True))
    images |= set(_ground_truths(ids).values_list("image_id", flat=True))
    return frames, images


def label_counts(*, study_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per study id (every one asked for): {"frames": labelled frames, "images": labelled images}."""
    ids = list(_ids(study_ids).values_list("id", flat=True)) if isinstance(study_ids, QuerySet) else list(study_ids)
    counts = {pk: {"frames": 0, "images": 0} for pk in ids}
    frames = _frame_heads(ids).values_list("video__study_id", flat=True)
    images = _image_heads(ids).values_list("image__study_id", "image_id")
    truths = _ground_truths(ids).order_by().values_list("image__study_id", "image_id")
    for study_id in frames:
        counts[study_id]["frames"] += 1
    for study_id, _ in {*images, *truths}:
        counts[study_id]["images"] += 1
    return counts
