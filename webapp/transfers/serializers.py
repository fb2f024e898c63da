from __future__ import annotations

from rest_framework import serializers

from webapp.transfers.models import Backend, UploadSession, UploadState
from webapp.transfers.selectors import UploadProgress


class UploadStartSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=1024, help_text="the file's name; its extension must be a video's")
    size = serializers.IntegerField(min_value=0, help_text="the file's length in bytes")


class UploadSessionSerializer(serializers.ModelSerializer):
    """A session as listed: no question to the store."""

    part_count = serializers.SerializerMethodField()

    class Meta:
        model = UploadSession
        fields = ["id", "study", "filename", "size", "part_size", "part_count", "backend", "state", "video", "error",
                  "created_at", "expires_at"]
        read_only_fields = fields

    def get_part_count(self, session: UploadSession) -> int:
        return -(-session.size // session.part_size)


class PartSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="1-based; part n is bytes [(n-1)*part_size, min(n*part_size, size))")
    size = serializers.IntegerField(help_text="its exact length in bytes")


class PartUrlSerializer(PartSerializer):
    url = serializers.CharField(help_text="PUT the part's bytes here: an app path (local disk: send credentials and "
                                          "X-CSRFToken as for any write) or a presigned bucket URL (send nothing else)")


class UploadProgressSerializer(serializers.Serializer):
    """A session with what the store holds (GET /api/uploads/{id}/, and the answer to starting one)."""

    id = serializers.IntegerField()
    study = serializers.IntegerField()
    filename = serializers.CharField()
    size = serializers.IntegerField()
    part_size = serializers.IntegerField()
    part_count = serializers.IntegerField()
    backend = serializers.ChoiceField(choices=Backend.choices)
    state = serializers.ChoiceField(choices=UploadState.choices)
    parts = PartSerializer(many=True, help_text="the parts the store holds at their exact length")
    missing = serializers.ListField(child=serializers.IntegerField(), help_text="part numbers still to send")
    received_bytes = serializers.IntegerField()
    part_urls = PartUrlSerializer(many=True, help_text="where each missing part goes (while the session is open); "
                                                       "bucket URLs expire: ask again for fresh ones")
    video = serializers.IntegerField(allow_null=True, help_text="the video it became, once completed")
    error = serializers.CharField(allow_blank=True, help_text="why it failed")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="an open session's parts are removed after this")

    @staticmethod
    def of(progress: UploadProgress) -> dict:
        s = progress.session
        return {
            "id": s.pk, "study": s.study_id, "filename": s.filename, "size": s.size, "part_size": s.part_size,
            "part_count": progress.plan.count, "backend": s.backend, "state": s.state,
            "parts": [{"number": n, "size": size} for n, size in sorted(progress.held.items())],
            "missing": progress.missing, "received_bytes": progress.received_bytes,
            "part_urls": [{"number": u.number, "size": u.size, "url": u.url} for u in progress.part_urls],
            "video": s.video_id, "error": s.error, "created_at": s.created_at, "expires_at": s.expires_at,
        }
