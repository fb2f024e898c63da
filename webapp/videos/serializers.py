from __future__ import annotations

from rest_framework import serializers

from webapp.videos.models import PolypEvent, Video


class VideoUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)  # emptiness is reported by the service


class VideoSerializer(serializers.ModelSerializer):
    model_version = serializers.CharField(source="model_version.version", default=None, read_only=True)

    class Meta:
        model = Video
        fields = [
            "id", "study", "original_name", "status", "frames_done", "frame_count", "fps", "duration_s",
            "width", "height", "size_bytes", "checksum", "model_version", "processing_fps", "error",
            "created_at", "started_at", "finished_at",
        ]
        read_only_fields = fields


class PolypEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = PolypEvent
        fields = ["id", "start_index", "end_index", "peak_index", "peak_score", "start_s", "end_s"]


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
