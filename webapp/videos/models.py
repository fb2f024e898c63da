"""Videos of a study, their per-frame results and the polyp events found in them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class VideoStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# A worker only picks up videos in these states; the others are final.
ACTIVE_STATUSES = (VideoStatus.QUEUED, VideoStatus.PROCESSING)


class Video(models.Model):
    study = models.ForeignKey("studies.Study", on_delete=models.CASCADE, related_name="videos")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="videos/")  # stored under a generated name, never the client's
    original_name = models.CharField(max_length=255, blank=True)  # sanitised, for display only
    checksum = models.CharField(max_length=64, db_index=True)  # sha256 of the file
    size_bytes = models.BigIntegerField()
    fps = models.FloatField()
    frame_count = models.PositiveIntegerField()  # frames decoded at upload, not the container's estimate
    duration_s = models.FloatField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=VideoStatus.choices, default=VideoStatus.QUEUED, db_index=True)
    error = models.TextField(blank=True)
    model_version = models.ForeignKey(
        "mlops.ModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    frames_done = models.PositiveIntegerField(default=0)
    processing_fps = models.FloatField(null=True, blank=True)  # frames per second of the whole pipeline
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # One holder at a time (webapp/videos/leases.py): a worker claims the video with a fresh token and renews
    # heartbeat_at every few seconds while it works; another may take it over only once the heartbeat is older than
    # VIDEO_LEASE_S. While queued, heartbeat_at is when it was last handed back or re-enqueued.
    lease_token = models.CharField(max_length=32, blank=True)
    lease_holder = models.CharField(max_length=200, blank=True)  # host:pid of the worker, for people
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # claims that did not end in a clean hand-back

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"video {self.pk} ({self.original_name}, {self.status})"


class FrameResult(models.Model):
    """One frame's model output. Written in bulk, exactly once per (video, index), even across retries."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="frames")
    index = models.PositiveIntegerField()
    time_s = models.FloatField()
    score = models.FloatField()  # polyp score: peak of the 3x3-smoothed probability, 0..1
    area = models.FloatField()  # mask area as a fraction of the frame, 0..1
    flagged = models.BooleanField()  # score >= events.HIGH_SCORE
    mask_rle = models.TextField()  # compressed COCO RLE (webapp.videos.rle) of a video.height x video.width mask
    model_version = models.ForeignKey("mlops.ModelVersion", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["video", "index"]
        constraints = [models.UniqueConstraint(fields=["video", "index"], name="one_result_per_frame")]


class PolypEvent(models.Model):
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="events")
    start_index = models.PositiveIntegerField()
    end_index = models.PositiveIntegerField()
    peak_index = models.PositiveIntegerField()
    peak_score = models.FloatField()
    start_s = models.FloatField()
    end_s = models.FloatField()

    class Meta:
        ordering = ["video", "start_index"]
        constraints = [
            models.UniqueConstraint(fields=["video", "start_index"], name="one_event_per_start"),
            models.CheckConstraint(
                condition=models.Q(start_index__lte=models.F("peak_index"), peak_index__lte=models.F("end_index")),
                name="event_peak_inside",
            ),
        ]
