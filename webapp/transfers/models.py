"""Resumable uploads: a video sent in parts, straight to the bucket (S3) or to the app's disk, then assembled into a
Video by the same checks as a single upload (webapp/transfers/services.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Backend(models.TextChoices):
    LOCAL = "local", "Local disk"  # parts are PUT to the app, one file each under MEDIA_ROOT/tmp/uploads/<id>/
    S3 = "s3", "S3 bucket"  # parts are PUT to presigned upload_part URLs of one S3 multipart upload


class UploadState(models.TextChoices):
    OPEN = "open", "Receiving parts"
    ASSEMBLING = "assembling", "Being assembled and checked"
    COMPLETED = "completed", "Completed: a video"
    ABORTED = "aborted", "Aborted"
    EXPIRED = "expired", "Expired"
    FAILED = "failed", "Failed its checks"


# Parts are only written while open; the others hold nothing any more, except a session being assembled.
ENDED_STATES = (UploadState.COMPLETED, UploadState.ABORTED, UploadState.EXPIRED, UploadState.FAILED)


class UploadSession(models.Model):
    """One file on its way in: `size` bytes in parts of `part_size` (the last one shorter). The parts held are asked of
    the store itself (S3 list_parts, the part files), never counted here: what the store has is the truth."""

    study = models.ForeignKey("studies.Study", on_delete=models.CASCADE, related_name="upload_sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)  # clean_filename of the client's name, for display and the video
    size = models.BigIntegerField()
    part_size = models.BigIntegerField()
    backend = models.CharField(max_length=8, choices=Backend.choices)
    # S3: the multipart upload's key (the video's final name in the storage, videos/<uuid>.<ext>) and id.
    stored_name = models.CharField(max_length=255, blank=True)
    s3_upload_id = models.CharField(max_length=1024, blank=True)
    state = models.CharField(max_length=16, choices=UploadState.choices, default=UploadState.OPEN, db_index=True)
    error = models.TextField(blank=True)  # why it failed its checks
    video = models.ForeignKey("videos.Video", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)  # an open session's parts are removed after this
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"upload {self.pk} ({self.filename}, {self.size} bytes, {self.state})"
