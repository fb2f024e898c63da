from __future__ import annotations

from rest_framework import serializers

from webapp.annotations.models import MaskRevision, Propagation, Verdict, VerdictValue
from webapp.videos.models import PolypEvent


class VerdictSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)

    class Meta:
        model = Verdict
        fields = ["id", "event", "value", "note", "reviewer", "created_at"]
        read_only_fields = fields


class VerdictCreateSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=VerdictValue.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class EventSerializer(serializers.ModelSerializer):
    """An event with its current verdict (needs events_with_verdicts' prefetch)."""

    verdict = serializers.SerializerMethodField()

    class Meta:
        model = PolypEvent
        fields = ["id", "video", "start_index", "end_index", "peak_index", "peak_score", "start_s", "end_s", "verdict"]

    def get_verdict(self, event: PolypEvent) -> dict | None:
        history = getattr(event, "verdict_history", None)
        return VerdictSerializer(history[0]).data if history else None


class QueuedEventSerializer(EventSerializer):
    study = serializers.IntegerField(source="video.study_id", read_only=True)
    patient_pseudo_id = serializers.CharField(source="video.study.patient.pseudo_id", read_only=True)
    video_name = serializers.CharField(source="video.original_name", read_only=True)

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "study", "patient_pseudo_id", "video_name"]


class RevisionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    based_on = serializers.IntegerField(source="based_on_id", read_only=True, allow_null=True)
    propagated_from_frame = serializers.IntegerField(
        source="propagated_from.frame_index", read_only=True, allow_null=True,
        help_text="a proposal's keyframe (the frame of propagated_from); null for a person's revision")

    class Meta:
        model = MaskRevision
        fields = ["id", "based_on", "author", "created_at", "height", "width", "rle", "note", "model_version",
                  "prediction_dice", "kind", "propagated_from", "propagated_from_frame", "blended_with"]
        read_only_fields = fields
        extra_kwargs = {
            "kind": {"help_text": "person: drawn or accepted by a person (a label); propagated: a proposal"},
            "propagated_from": {"help_text": "a proposal's keyframe revision (null for a person's revision)"},
            "blended_with": {"help_text": "between two corrected keyframes: the other keyframe's revision"},
            "model_version": {"help_text": "the model version whose prediction was corrected (null: none)"},
            "prediction_dice": {"help_text": "Dice of that prediction and this mask (1 when both are empty)"},
        }


class RevisionCreateSerializer(serializers.Serializer):
    based_on = serializers.IntegerField(allow_null=True, help_text="the revision the edit started from; null: none yet")
    rle = serializers.CharField(max_length=20_000_000, trim_whitespace=False,
                                help_text="compressed COCO RLE counts, column-major")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class MaskStateSerializer(serializers.Serializer):
    height = serializers.IntegerField()
    width = serializers.IntegerField()
    prediction = serializers.CharField(allow_null=True)
    ground_truth = serializers.CharField(allow_null=True)
    current = RevisionSerializer(allow_null=True)


class CorrectionItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["frame", "image"])
    video = serializers.IntegerField(allow_null=True)
    frame = serializers.IntegerField(allow_null=True)
    image = serializers.IntegerField(allow_null=True)
    study = serializers.IntegerField()
    patient_pseudo_id = serializers.CharField()
    name = serializers.CharField(help_text="the video's or image's original file name")
    reason = serializers.ChoiceField(choices=["rejected_event", "uncertain_event", "temporal_inconsistency",
                                              "low_confidence", "no_ground_truth"])
    score = serializers.FloatField(allow_null=True)
    time_s = serializers.FloatField(allow_null=True, help_text="the frame's time in the video, seconds (null: image)")


class StudyExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["kvasir", "coco"])


class PropagateSerializer(serializers.Serializer):
    forward = serializers.IntegerField(required=False, default=25, min_value=0, max_value=250,
                                       help_text="frames after the corrected frame to propose masks for")
    backward = serializers.IntegerField(required=False, default=25, min_value=0, max_value=250,
                                        help_text="frames before it")


class PropagationSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    task_id = serializers.SerializerMethodField(help_text="the id to follow at GET /api/propagations/{task_id}/")
    source = serializers.IntegerField(source="source_id", read_only=True, help_text="the keyframe's revision")
    progress = serializers.SerializerMethodField(help_text="frames_done / frames_total, 0..1")

    class Meta:
        model = Propagation
        fields = ["id", "task_id", "video", "frame_index", "source", "requested_by", "forward", "backward", "status",
                  "frames_total", "frames_done", "progress", "result", "error", "created_at", "finished_at"]
        read_only_fields = fields

    def get_task_id(self, job) -> int:
        return job.pk

    def get_progress(self, job) -> float:
        if job.status == "done":
            return 1.0
        return round(job.frames_done / job.frames_total, 4) if job.frames_total else 0.0


class AcceptProposalsSerializer(serializers.Serializer):
    first = serializers.IntegerField(min_value=0, help_text="first frame of the range (inclusive)")
    last = serializers.IntegerField(min_value=0, help_text="last frame of the range (inclusive)")


class ProposalSerializer(serializers.Serializer):
    frame = serializers.IntegerField(source="frame_index")
    revision = serializers.IntegerField(source="id")
    propagated_from = serializers.IntegerField(source="propagated_from_id")
    blended_with = serializers.IntegerField(source="blended_with_id", allow_null=True)
    created_at = serializers.DateTimeField()
