"""Writes on verdicts and mask revisions; each one transaction, each audited."""

from __future__ import annotations

import numpy as np
from django.db import IntegrityError, transaction

from inference.metrics import image_metrics
from webapp.accounts.models import User
from webapp.annotations.models import MaskRevision, Propagation, RevisionKind, Verdict
from webapp.annotations.selectors import MaskTarget, prediction_of, revisions_of
from webapp.annotations.tasks import propagate as propagate_task
from webapp.audit.models import Action
from webapp.audit.services import audit_record
from webapp.errors import Conflict, DomainError
from webapp.studies.models import StillImage
from webapp.studies.services import study_lock_open
from webapp.videos import rle
from webapp.videos.models import FrameResult, PolypEvent, Video, VideoStatus


class FrameNotProcessed(Conflict):
    code = "frame_not_processed"


class RevisionConflict(Conflict):
    """Someone saved a newer revision of the target after the editor loaded its base."""

    def __init__(self, message: str, current: MaskRevision | None) -> None:
        super().__init__(message)
        self.current = current


@transaction.atomic
def verdict_give(*, event: PolypEvent, reviewer: User, value: str, note: str = "") -> Verdict:
    """Record a verdict; it becomes the event's current one (older verdicts stay in the history)."""
    # Study first, then video: every write that takes both locks them in this order (no deadlock).
    study_lock_open(study_id=Video.objects.values_list("study_id", flat=True).get(pk=event.video_id))
    video = Video.objects.select_for_update().get(pk=event.video_id)
    if video.status != VideoStatus.DONE:
        # Events are regrouped while frames arrive; a verdict must judge the event as it will stay.
        raise Conflict(f"the video is {video.status}; events can be judged once processing is done")
    verdict = Verdict.objects.create(event=event, reviewer=reviewer, value=value, note=note.strip())
    audit_record(actor=reviewer, action=Action.VERDICT, target=event,
                 detail={"value": value, "verdict": verdict.pk, "video": video.pk})
    return verdict


def mask_revision_create(
    *, target: MaskTarget, author: User, rle_text: str, based_on_id: int | None, note: str = ""
) -> MaskRevision:
    """Save a person's mask as the target's new current revision.

    based_on_id: the revision the edit started from (None: the first revision). If another revision
    was saved since, raises RevisionConflict carrying it, and nothing is written. A video frame the worker
    has not processed yet is refused (409 frame_not_processed): its prediction, the base of every edit and
    of the correction's provenance, is not there yet.
    """
    if target.video is not None and not FrameResult.objects.filter(video=target.video,
                                                                   index=target.frame_index).exists():
        video = target.video
        raise FrameNotProcessed(f"frame {target.frame_index} is not processed yet: the video is {video.status}, "
                                f"{video.frames_done} of {video.frame_count} frames done; correct it once it is")
    try:
        drawn = rle.decode(rle_text, target.height, target.width)
    except ValueError as exc:
        raise DomainError(f"the mask does not fit the {target.height} x {target.width} image: {exc}") from exc
    model_version_id, prediction_dice = _provenance(target, drawn)
    try:
        with transaction.atomic():
            study_lock_open(study_id=target.study_id)
            # Lock the target's row: saves on one target queue here, so the check below sees the truth.
            if target.video is not None:
                Video.objects.select_for_update().filter(pk=target.video.pk).first()
            else:
                StillImage.objects.select_for_update().filter(pk=target.image.pk).first()  # type: ignore[union-attr]
            current = revisions_of(target=target).first()
            if (current.pk if current else None) != based_on_id:
                raise _conflict(current)
            revision = MaskRevision.objects.create(
                **target.fields(), based_on=current, author=author, height=target.height, width=target.width,
                rle=rle_text, note=note.strip()[:500], model_version_id=model_version_id,
                prediction_dice=prediction_dice,
            )
            audit_record(actor=author, action=Action.MASK_CORRECT, target=revision,
                         detail={**target.describe(), "based_on": based_on_id})
    except IntegrityError:
        # The chain's unique constraints caught a save that raced past the lock (it cannot on PostgreSQL;
        # kept so that any database refuses a fork of the history).
        raise _conflict(revisions_of(target=target).first()) from None
    return revision


def _provenance(target: MaskTarget, drawn: np.ndarray) -> tuple[int | None, float | None]:
    """(the model version whose prediction the person corrected, Dice of that prediction and the drawn mask)."""
    prediction = prediction_of(target=target)
    if prediction is None:
        return None, None
    text, model_version_id = prediction
    predicted = rle.decode(text, target.height, target.width)
    return model_version_id, round(image_metrics(predicted, drawn)["dice"], 6)  # 1 when both are empty


def _conflict(current: MaskRevision | None) -> RevisionConflict:
    if current is None:
        return RevisionConflict("the revision your edit was based on no longer exists; reload the mask", None)
    who = current.author.get_username()
    return RevisionConflict(
        f"{who} saved a newer revision at {current.created_at:%Y-%m-%d %H:%M:%S} UTC after you started "
        "editing; your edit is not lost: save it on top of theirs or load theirs",
        current,
    )


# Propagation: how far one request may reach each way. 25 frames is one second of a 25 fps procedure video and
# what the README's timing measures; 250 caps a request at ten seconds of video, about 20 s of work on 2 cores.
PROPAGATE_DEFAULT_FRAMES = 25
PROPAGATE_MAX_FRAMES = 250


def propagation_request(
    *, video_id: int, frame_index: int, user: User, forward: int = PROPAGATE_DEFAULT_FRAMES,
    backward: int = PROPAGATE_DEFAULT_FRAMES,
) -> Propagation:
    """Ask for proposals around a corrected frame: its current revision must be a person's. Queued on the
    `gpu` queue once committed (the worker decodes the frames and reads the stored predictions)."""
    for name, count in (("forward", forward), ("backward", backward)):
        if not 0 <= count <= PROPAGATE_MAX_FRAMES:
            raise DomainError(f"{name} must be 0..{PROPAGATE_MAX_FRAMES} frames, got {count}")
    if forward == backward == 0:
        raise DomainError("forward and backward are both 0: nothing to propagate to")
    with transaction.atomic():
        study_lock_open(study_id=Video.objects.values_list("study_id", flat=True).get(pk=video_id))
        video = Video.objects.select_for_update().get(pk=video_id)
        if video.status != VideoStatus.DONE:
            raise Conflict(f"the video is {video.status}; propagation needs every frame's prediction (done)")
        if not 0 <= frame_index < video.frame_count:
            raise DomainError(f"frame {frame_index} is outside the video (frames 0..{video.frame_count - 1})")
        source = revisions_of(target=MaskTarget(video=video, frame_index=frame_index)).first()
        if source is None or source.kind != RevisionKind.PERSON:
            what = "has no correction" if source is None else "holds a proposal, not a person's correction"
            raise Conflict(f"frame {frame_index} {what}: save a corrected mask on it first, then propagate from it")
        job = Propagation.objects.create(video=video, frame_index=frame_index, source=source, requested_by=user,
                                         forward=forward, backward=backward)
        audit_record(actor=user, action=Action.MASK_PROPAGATE, target=job,
                     detail={"video": video.pk, "frame": frame_index, "source": source.pk,
                             "forward": forward, "backward": backward})
        # The task object, not a signature by name: the web process has not imported the tasks modules (a worker
        # autodiscovers them), and a name it does not know goes to the broker even with CELERY_TASK_ALWAYS_EAGER.
        transaction.on_commit(lambda: propagate_task.delay(propagation_id=job.pk))
    return job


@transaction.atomic
def proposals_accept(*, video_id: int, first: int, last: int, user: User) -> list[MaskRevision]:
    """Accept every proposal on frames first..last in one action: each becomes a person's revision (the same
    mask, based on the proposal, authored by the person who accepted it), i.e. a label. Frames without a
    proposal on top are left alone. Returns the new revisions (may be empty)."""
    if first > last:
        raise DomainError(f"first ({first}) is after last ({last})")
    study_lock_open(study_id=Video.objects.values_list("study_id", flat=True).get(pk=video_id))
    video = Video.objects.select_for_update().get(pk=video_id)
    heads = MaskRevision.objects.filter(
        video=video, frame_index__gte=first, frame_index__lte=last, next_revision__isnull=True,
        kind=RevisionKind.PROPAGATED,
    ).order_by("frame_index")
    accepted = [
        MaskRevision(video=video, frame_index=head.frame_index, based_on=head, author=user, height=head.height,
                     width=head.width, rle=head.rle, note="accepted proposal", model_version_id=head.model_version_id,
                     prediction_dice=head.prediction_dice, kind=RevisionKind.PERSON)
        for head in heads
    ]
    created = MaskRevision.objects.bulk_create(accepted)
    audit_record(actor=user, action=Action.PROPOSALS_ACCEPT, target=video,
                 detail={"video": video.pk, "first": first, "last": last,
                         "frames": [r.frame_index for r in created]})
    return created
