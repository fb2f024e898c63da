"""Model versions and the retraining loop: patient splits, dataset snapshots, fine-tuning runs.

Every mask traces back to the exact checkpoint file (sha256) and its config; every fine-tuned version
traces back to its parent, the snapshot it learned from and the run that made it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ModelVersion(models.Model):
    version = models.CharField(max_length=128)  # the checkpoint's own version string
    # A file on this machine (the shipped model, POLYPSCOPE_CHECKPOINT), or empty when the checkpoint lives in
    # the media storage under `storage_name` (fine-tuned versions: S3 in production), fetched by workers.
    checkpoint_path = models.CharField(max_length=1024, blank=True)
    storage_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, unique=True)
    config = models.JSONField(default=dict)  # model_config, train_config, input_size from the checkpoint
    metrics = models.JSONField(default=dict)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Lineage (null for a registered checkpoint such as the shipped model).
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    snapshot = models.ForeignKey(
        "mlops.DatasetSnapshot", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    training_run = models.ForeignKey(
        "mlops.TrainingRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The gate's verdict on this version (null: never gated, e.g. a registered checkpoint).
    gate_passed = models.BooleanField(null=True, blank=True)
    gate_report = models.JSONField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one active version: workers must agree on which model runs.
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.sha256[:12]})"


class Split(models.TextChoices):
    TRAIN = "train", "Train"
    HOLDOUT = "holdout", "Holdout"


class PatientSplit(models.Model):
    """A patient's side of the split, assigned once and never moved (frames of one patient never straddle
    train and holdout, and the holdout that gates promotion stays fixed as patients are added)."""

    patient = models.OneToOneField("studies.Patient", on_delete=models.PROTECT, related_name="split")
    split = models.CharField(max_length=8, choices=Split.choices)
    assigned_at = models.DateTimeField(auto_now_add=True)


class DatasetSnapshot(models.Model):
    """An immutable, content-hashed set of training examples (written once, never updated)."""

    sha256 = models.CharField(max_length=64, unique=True)  # over the examples' canonical lines
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    excluded_studies = models.JSONField(default=list)
    counts = models.JSONField(default=dict)  # examples, train_examples, holdout_examples, hard_negatives, ...
    replay_dataset = models.CharField(max_length=255, blank=True)  # name of the base set mixed in, or ""

    class Meta:
        ordering = ["-created_at", "-id"]


class ExampleSource(models.TextChoices):
    REVISION = "revision", "A person's revision"
    GROUND_TRUTH = "ground_truth", "Imported ground truth"
    HARD_NEGATIVE = "hard_negative", "Frame of an event judged false positive (empty mask)"


class SnapshotExample(models.Model):
    """One training example: a target (video frame or still image), its label and its patient's split.

    Targets and labels are plain ids, not foreign keys: a snapshot is a record of what was trained on and
    must not block deleting a video later (training on a snapshot whose target is gone fails, naming it).
    """

    snapshot = models.ForeignKey(DatasetSnapshot, on_delete=models.CASCADE, related_name="examples")
    kind = models.CharField(max_length=8)  # "frame" | "image"
    video_id = models.BigIntegerField(null=True)
    frame_index = models.PositiveIntegerField(null=True)
    image_id = models.BigIntegerField(null=True)
    study_id = models.BigIntegerField()
    patient = models.ForeignKey("studies.Patient", on_delete=models.PROTECT, related_name="+")
    split = models.CharField(max_length=8, choices=Split.choices)
    source = models.CharField(max_length=16, choices=ExampleSource.choices)
    revision_id = models.BigIntegerField(null=True)
    mask_id = models.BigIntegerField(null=True)
    event_id = models.BigIntegerField(null=True)  # hard negatives: the event judged false positive
    height = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    rle = models.TextField()  # the label itself (COCO RLE), so the snapshot holds what it was hashed over
    mask_sha256 = models.CharField(max_length=64)  # of the decoded mask's bytes

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["snapshot", "split"], name="example_snapshot_split")]


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    EVALUATING = "evaluating", "Evaluating"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# A worker holds a run while its status is one of these; the others are final.
RUN_ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.EVALUATING)


class TrainingRun(models.Model):
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    base_model = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="runs")
    snapshot = models.ForeignKey(DatasetSnapshot, on_delete=models.PROTECT, related_name="runs")
    config = models.JSONField(default=dict)  # epochs, lr, size, batch_size, replay_ratio
    progress = models.JSONField(default=dict)  # epoch, epochs, step, steps, loss, holdout_dice, phase
    history = models.JSONField(default=list)  # per epoch: epoch, loss, holdout_dice, seconds
    candidate = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    gate_passed = models.BooleanField(null=True, blank=True)
    gate_report = models.JSONField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # One holder at a time: a worker claims the run with a fresh token and renews heartbeat_at while it
    # works; another worker may take the run over only once the heartbeat is older than the lease.
    lease_token = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    checkpoint_name = models.CharField(max_length=255, blank=True)  # media name of the newest last.pt

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"training run {self.pk} ({self.status})"
