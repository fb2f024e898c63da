from __future__ import annotations

from rest_framework import serializers

from webapp.videos.models import Video


class VideoUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)  # emptiness is reported by the service


_VIDEO_FIELDS = [
    "id", "study", "original_name", "status", "frames_done", "frame_count", "fps", "duration_s",
    "width", "height", "size_bytes", "checksum", "model_version", "processing_fps", "error",
    "created_at", "started_at", "finished_at",
]


class VideoSerializer(serializers.ModelSerializer):
    model_version = serializers.CharField(source="model_version.version", default=None, read_only=True)
    patient_pseudo_id = serializers.CharField(source="study.patient.pseudo_id", read_only=True)
    # Counted on lists (video_list_with_counts); a single video's answer leaves them null.
    # (A method field: DRF refuses a default on a name that is also a reverse relation, Video.events.)
    events = serializers.SerializerMethodField()
    pending_events = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Video
        fields = [*_VIDEO_FIELDS, "patient_pseudo_id", "events", "pending_events"]
        read_only_fields = _VIDEO_FIELDS

    def get_events(self, video: Video) -> int | None:
        return getattr(video, "events_count", None)


class TimelineSerializer(serializers.Serializer):
    video = serializers.IntegerField()
    fps = serializers.FloatField()
    frame_count = serializers.IntegerField()
    frames_done = serializers.IntegerField()
    model_version = serializers.CharField(allow_null=True)
    index = serializers.ListField(child=serializers.IntegerField())
    score = serializers.ListField(child=serializers.FloatField())
    area = serializers.ListField(child=serializers.FloatField())
    flagged = serializers.ListField(child=serializers.IntegerField())


class MaskChunkQuerySerializer(serializers.Serializer):
    start = serializers.IntegerField(min_value=0)
    end = serializers.IntegerField(min_value=1)

    def validate(self, data: dict) -> dict:
        if data["end"] <= data["start"]:
            raise serializers.ValidationError({"end": "end must be greater than start"})
        return data


class MaskChunkSerializer(serializers.Serializer):
    height = serializers.IntegerField()
    width = serializers.IntegerField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    masks = serializers.DictField(child=serializers.CharField(), help_text="frame index -> compressed COCO RLE")


class FrameJpegQuerySerializer(serializers.Serializer):
    width = serializers.IntegerField(required=False, min_value=16, max_value=7680)
