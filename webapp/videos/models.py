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
    frames_done = models.PositiveIntegerField(default=0)  # frames stored (while processing: the sum over its ranges)
    # Frames per second of the whole pipeline: the frames of this processing over the time from its start to done,
    # every worker on its ranges together.
    processing_fps = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the video was last queued (upload, resume, reprocess, the reconciler's re-enqueue): the reconciler
    # re-enqueues a video queued for longer than a lease whose message the broker no longer holds.
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"video {self.pk} ({self.original_name}, {self.status})"


class RangeStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"


class VideoRange(models.Model):
    """Frames start..end-1 of a video, processed by one task at a time under a lease (webapp/videos/leases.py).

    A video is planned into ranges when its processing starts (webapp/videos/services.video_plan); several workers
    process its ranges at once. Cancelled and failed are the video's states, not a range's: a range's worker stops
    when its video is no longer processing. The last range reads to the end of the file.
    """

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="ranges")
    start = models.PositiveIntegerField()  # first frame, inclusive
    end = models.PositiveIntegerField()  # last frame + 1
    status = models.CharField(max_length=16, choices=RangeStatus.choices, default=RangeStatus.QUEUED)
    frames_done = models.PositiveIntegerField(default=0)  # frames of this range stored: start..start+frames_done-1
    processing_fps = models.FloatField(null=True, blank=True)  # of its latest run, frames per second
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # One holder at a time: a worker claims the range with a fresh token and renews heartbeat_at every few seconds
    # while it works; another may take it over only once the heartbeat is older than VIDEO_LEASE_S. While queued,
    # heartbeat_at is when it was planned, handed back or last re-enqueued.
    lease_token = models.CharField(max_length=32, blank=True)
    lease_holder = models.CharField(max_length=200, blank=True)  # host:pid of the worker, for people
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # claims that did not end in a clean hand-back

    class Meta:
        ordering = ["video_id", "start"]  # the column: ordering by the video would join (and lock) its row
        constraints = [
            models.UniqueConstraint(fields=["video", "start"], name="one_range_per_start"),
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="range_not_empty"),
        ]

    def __str__(self) -> str:
        return f"video {self.video_id} frames {self.start}-{self.end - 1} ({self.status})"


class VideoFrameTimes(models.Model):
    """The presentation time of every frame as the upload decoded the video from its start (OpenCV's
    CAP_PROP_POS_MSEC), so that a range seeks to its first frame exactly and checks every frame it decodes
    (webapp/videos/ranges.py). Its own table: a 1-hour video at 25 fps holds 90,000 times, never read with the
    video's row."""

    video = models.OneToOneField(Video, on_delete=models.CASCADE, primary_key=True, related_name="frame_times")
    times_ms = models.BinaryField()  # ranges.pack_times: zlib-compressed float64, frame order


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
