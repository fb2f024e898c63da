"""Videos are processed in frame ranges, each under its own lease (webapp/videos/leases.py): the lease moves from the
video to VideoRange; the video keeps when it was last queued. The presentation time of every frame (VideoFrameTimes)
lets a range seek to its first frame exactly.

A video processing under the old single task has no ranges: it is queued again (its lease dropped), and the
reconciler (or its message, still in the broker) plans it into ranges; its stored frames are kept and each range
resumes after its last stored frame."""

import django.db.models.deletion
from django.db import migrations, models


def requeue_processing(apps, schema_editor) -> None:
    Video = apps.get_model("videos", "Video")
    Video.objects.filter(status="processing").update(status="queued", lease_token="", lease_holder="", attempts=0)


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0002_video_lease"),
    ]

    operations = [
        migrations.RunPython(requeue_processing, migrations.RunPython.noop),
        migrations.RemoveField(model_name="video", name="lease_token"),
        migrations.RemoveField(model_name="video", name="lease_holder"),
        migrations.RemoveField(model_name="video", name="attempts"),
        migrations.RenameField(model_name="video", old_name="heartbeat_at", new_name="queued_at"),
        migrations.CreateModel(
            name="VideoRange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("start", models.PositiveIntegerField()),
                ("end", models.PositiveIntegerField()),
                ("status", models.CharField(choices=[("queued", "Queued"), ("processing", "Processing"),
                                                     ("done", "Done")], default="queued", max_length=16)),
                ("frames_done", models.PositiveIntegerField(default=0)),
                ("processing_fps", models.FloatField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("lease_token", models.CharField(blank=True, max_length=32)),
                ("lease_holder", models.CharField(blank=True, max_length=200)),
                ("heartbeat_at", models.DateTimeField(blank=True, null=True)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("video", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="ranges",
                                            to="videos.video")),
            ],
            options={
                "ordering": ["video_id", "start"],
                "constraints": [
                    models.UniqueConstraint(fields=("video", "start"), name="one_range_per_start"),
                    models.CheckConstraint(condition=models.Q(("start__lt", models.F("end"))),
                                           name="range_not_empty"),
                ],
            },
        ),
        migrations.CreateModel(
            name="VideoFrameTimes",
            fields=[
                ("video", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                               related_name="frame_times", serialize=False, to="videos.video")),
                ("times_ms", models.BinaryField()),
            ],
        ),
    ]
