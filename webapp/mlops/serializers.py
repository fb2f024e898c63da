"""Model versions and fine-tuning runs as the API (and the websocket) show them: no server paths."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from webapp.mlops.models import DatasetSnapshot, ModelVersion, TrainingRun


class VersionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = ["id", "version"]
        read_only_fields = fields


class ModelVersionSerializer(serializers.ModelSerializer):
    parent = VersionRefSerializer(read_only=True, allow_null=True)  # the shipped model has none
    card = serializers.SerializerMethodField()
    gate = serializers.SerializerMethodField()
    corrections = serializers.SerializerMethodField()
    promoted_by = serializers.CharField(source="promoted_by.username", default=None, read_only=True, allow_null=True)

    class Meta:
        model = ModelVersion
        fields = ["id", "version", "sha256", "config", "metrics", "is_active", "created_at", "parent", "snapshot",
                  "training_run", "card", "gate", "corrections", "promoted_at", "promoted_by", "override_reason"]
        read_only_fields = fields

    def get_card(self, obj: ModelVersion) -> dict | None:
        """The model card's test-set numbers (the shipped model's, from inference/weights/MODEL_CARD.json)."""
        return (self.context.get("cards") or {}).get(obj.sha256)

    def get_gate(self, obj: ModelVersion) -> dict | None:
        if obj.gate_passed is None:
            return None
        return {"passed": obj.gate_passed, "report": obj.gate_report}

    def get_corrections(self, obj: ModelVersion) -> dict:
        return (self.context.get("corrections") or {}).get(obj.pk) or {"count": 0, "mean_dice": None}


class PromoteSerializer(serializers.Serializer):
    override_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RunConfigSerializer(serializers.Serializer):
    """The fine-tuning form: every field optional, defaults from settings.TRAINING_DEFAULTS."""

    base_model = serializers.IntegerField(required=False, min_value=1)
    epochs = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    lr = serializers.FloatField(required=False, min_value=1e-7, max_value=0.1)
    size = serializers.IntegerField(required=False, min_value=32, max_value=1024)
    batch_size = serializers.IntegerField(required=False, min_value=2, max_value=256)
    replay_ratio = serializers.FloatField(required=False, min_value=0.0, max_value=20.0)
    exclude_studies = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                            max_length=10_000)

    def validate_size(self, value: int) -> int:
        if value % 16:
            raise serializers.ValidationError("the input size must be a multiple of 16 (the network pools 4 times)")
        return value

    def config(self) -> dict:
        data = self.validated_data
        return {key: data.get(key, default) for key, default in settings.TRAINING_DEFAULTS.items()}


class SnapshotSerializer(serializers.ModelSerializer):
    examples = serializers.IntegerField(source="counts.examples", read_only=True)
    train_examples = serializers.IntegerField(source="counts.train_examples", read_only=True)
    holdout_examples = serializers.IntegerField(source="counts.holdout_examples", read_only=True)
    hard_negatives = serializers.IntegerField(source="counts.hard_negatives", read_only=True)
    replay_examples = serializers.IntegerField(source="counts.replay_examples", default=0, read_only=True)
    train_patients = serializers.ListField(source="counts.train_patients", read_only=True)
    holdout_patients = serializers.ListField(source="counts.holdout_patients", read_only=True)

    class Meta:
        model = DatasetSnapshot
        fields = ["id", "sha256", "created_at", "examples", "train_examples", "holdout_examples", "hard_negatives",
                  "replay_examples", "train_patients", "holdout_patients", "excluded_studies", "replay_dataset"]
        read_only_fields = fields


class TrainingRunSerializer(serializers.ModelSerializer):
    base_model = VersionRefSerializer(read_only=True)
    snapshot = SnapshotSerializer(read_only=True)
    gate = serializers.SerializerMethodField()
    started_by = serializers.CharField(source="started_by.username", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = TrainingRun
        fields = ["id", "status", "base_model", "candidate", "config", "snapshot", "progress", "history", "gate",
                  "started_by", "created_at", "started_at", "finished_at", "error"]
        read_only_fields = fields

    def get_gate(self, obj: TrainingRun) -> dict | None:
        if obj.gate_passed is None:
            return None
        return {"passed": obj.gate_passed, "report": obj.gate_report}

    def get_progress(self, obj: TrainingRun) -> dict:
        base = {"epoch": 0, "epochs": obj.config.get("epochs"), "step": 0, "steps": None, "loss": None,
                "holdout_dice": None, "phase": obj.status}
        return {**base, **(obj.progress or {})}
