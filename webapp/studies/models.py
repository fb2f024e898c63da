"""Patients (pseudonymous), studies (one colonoscopy procedure each), still images and their masks."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Patient(models.Model):
    # A pseudonym assigned outside Polypscope; never a name or any other identifying datum.
    pseudo_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.pseudo_id


class StudyStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_REVIEW = "in_review", "In review"
    CLOSED = "closed", "Closed"


class Study(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="studies")
    date = models.DateField()
    indication = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=StudyStatus.choices, default=StudyStatus.OPEN)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_studies")
    # Others who may see the study (an annotator assigned to it, a second reader).
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="studies")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"study {self.pk} ({self.patient}, {self.date})"


class StillImage(models.Model):
    """A single endoscopy image (Kvasir-SEG style), optionally with a ground-truth mask."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to="images/")
    original_name = models.CharField(max_length=255, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)


class MaskSource(models.TextChoices):
    MODEL = "model", "Model version"
    GROUND_TRUTH = "ground_truth", "Ground truth"


class Mask(models.Model):
    """A mask of a still image as COCO-style RLE (webapp.videos.rle) that no person drew: a model version's
    prediction, or ground truth imported with the image. A person's mask is a MaskRevision (annotations)."""

    image = models.ForeignKey(StillImage, on_delete=models.CASCADE, related_name="masks")
    source = models.CharField(max_length=16, choices=MaskSource.choices)
    model_version = models.ForeignKey("mlops.ModelVersion", null=True, blank=True, on_delete=models.PROTECT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    rle = models.TextField()  # compressed COCO counts, column-major, of an image.height x image.width mask
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # The source names exactly one origin: a model version, or none (ground truth). Never a person.
            models.CheckConstraint(
                condition=(
                    models.Q(source=MaskSource.MODEL, model_version__isnull=False, author__isnull=True)
                    | models.Q(source=MaskSource.GROUND_TRUTH, model_version__isnull=True, author__isnull=True)
                ),
                name="mask_source_matches_origin",
            ),
            # One prediction per image and model version: the prediction task may run twice (a retry, a
            # second import's message) and must not store the same prediction twice.
            models.UniqueConstraint(
                fields=["image", "model_version"], condition=models.Q(source=MaskSource.MODEL),
                name="one_model_mask_per_version",
            ),
        ]
