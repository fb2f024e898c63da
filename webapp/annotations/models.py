"""What people add to the model's output: verdicts on polyp events and mask revisions.

Both are append-only histories (nothing a reviewer or annotator said is ever overwritten): the current
verdict of an event is its newest Verdict; the current mask of a target is its newest MaskRevision.
Corrections are what the retraining loop will learn from, so each revision names the revision it was
drawn on (a linear chain per target, enforced by the database) and its author.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class VerdictValue(models.TextChoices):
    CONFIRMED = "confirmed", "Polyp confirmed"
    FALSE_POSITIVE = "false_positive", "False positive"
    UNCERTAIN = "uncertain", "Uncertain"


class Verdict(models.Model):
    """A gastroenterologist's judgement of one polyp event. A newer verdict supersedes, never replaces."""

    event = models.ForeignKey("videos.PolypEvent", on_delete=models.CASCADE, related_name="verdicts")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=16, choices=VerdictValue.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "-created_at", "-id"]
        indexes = [models.Index(fields=["event", "-created_at"], name="verdict_event_newest")]


class RevisionKind(models.TextChoices):
    PERSON = "person", "Drawn or accepted by a person"
    PROPAGATED = "propagated", "Proposed by propagation from a corrected keyframe"


class MaskRevision(models.Model):
    """A person's mask of a video frame or a still image (exactly one), as compressed COCO RLE.

    based_on is the revision the edit started from (NULL: the first revision, drawn on the model's
    prediction or the ground truth). At most one revision may build on any other, and at most one may be
    the first of a target, so two people saving on the same base cannot both succeed: the history of a
    target is one chain, and a stale save is a conflict, never a silent overwrite.
    """

    video = models.ForeignKey("videos.Video", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    frame_index = models.PositiveIntegerField(null=True, blank=True)
    image = models.ForeignKey(
        "studies.StillImage", null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    # RESTRICT: a revision cannot be deleted from under the one built on it, except when both go
    # together (their video or image is deleted).
    based_on = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="next_revision"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    height = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    rle = models.TextField()  # compressed COCO counts, column-major (webapp.videos.rle)
    note = models.CharField(max_length=500, blank=True)
    # Provenance: the model version whose prediction of the target the person saw (the frame's FrameResult,
    # the image's newest model Mask; NULL when there was none), and the Dice between that prediction and this
    # mask (1 when both are empty). On a target's first revision, how far the person had to correct the model.
    model_version = models.ForeignKey(
        "mlops.ModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prediction_dice = models.FloatField(null=True, blank=True)
    # A proposal (kind propagated) is the propagation's mask of a neighbour of a corrected keyframe: it joins
    # the target's chain (a person's save on top supersedes it) but is never a label until a person accepts
    # it (webapp.annotations.labels). propagated_from: the keyframe's revision it was carried from;
    # blended_with: the other keyframe's revision, for frames between two corrected keyframes.
    kind = models.CharField(max_length=16, choices=RevisionKind.choices, default=RevisionKind.PERSON)
    propagated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    blended_with = models.ForeignKey("self", null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["video", "frame_index"], name="revision_frame")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(video__isnull=False, frame_index__isnull=False, image__isnull=True)
                    | models.Q(video__isnull=True, frame_index__isnull=True, image__isnull=False)
                ),
                name="revision_has_one_target",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="person") | models.Q(propagated_from__isnull=False, video__isnull=False),
                name="proposal_names_its_keyframe",
            ),
            models.UniqueConstraint(
                fields=["video", "frame_index"], condition=models.Q(based_on__isnull=True),
                name="one_first_revision_per_frame",
            ),
            models.UniqueConstraint(
                fields=["image"], condition=models.Q(based_on__isnull=True), name="one_first_revision_per_image"
            ),
        ]

    def __str__(self) -> str:
        target = f"video {self.video_id} frame {self.frame_index}" if self.video_id else f"image {self.image_id}"
        return f"revision {self.pk} of {target}"


class PropagationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Propagation(models.Model):
    """One request to propagate a corrected frame's mask to its neighbours, and its progress."""

    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="+")
    frame_index = models.PositiveIntegerField()
    source = models.ForeignKey(MaskRevision, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    forward = models.PositiveIntegerField()
    backward = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=PropagationStatus.choices, default=PropagationStatus.QUEUED)
    frames_total = models.PositiveIntegerField(default=0)  # frames the walks may reach (known once running)
    frames_done = models.PositiveIntegerField(default=0)
    # Per direction: {"frames": [first, last] or [], "stop_reason": ..., "until": keyframe or None}; "proposals".
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
