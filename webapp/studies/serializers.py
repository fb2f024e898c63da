from __future__ import annotations

from rest_framework import serializers

from webapp.studies.models import Study


class StudyCreateSerializer(serializers.Serializer):
    patient_pseudo_id = serializers.RegexField(r"^[A-Za-z0-9._-]{1,64}$", help_text="Pseudonym, letters/digits/._-")
    date = serializers.DateField()
    indication = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class StudySerializer(serializers.ModelSerializer):
    patient_pseudo_id = serializers.CharField(source="patient.pseudo_id", read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Study
        fields = ["id", "patient_pseudo_id", "date", "indication", "status", "owner", "created_at"]


class KvasirImportSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="A Kvasir-SEG zip: images/, masks/, bboxes .json")
    patient_pseudo_id = serializers.RegexField(r"^[A-Za-z0-9._-]{1,64}$", required=False,
                                               help_text="Pseudonym; default KVASIR-<zip name>")
    date = serializers.DateField(required=False, help_text="Default: today")


class KvasirImportResultSerializer(StudySerializer):
    images = serializers.IntegerField(source="images_count", read_only=True)
    ground_truth = serializers.IntegerField(source="ground_truth_count", read_only=True, help_text="images with a mask")

    class Meta(StudySerializer.Meta):
        fields = [*StudySerializer.Meta.fields, "images", "ground_truth"]


class StudyExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["kvasir", "coco"])
