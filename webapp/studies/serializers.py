from __future__ import annotations

from rest_framework import serializers

from webapp.studies.models import StillImage, Study, StudyStatus


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


class StudyWithCountsSerializer(StudySerializer):
    """A study with its counts (study_list_filtered's annotations)."""

    videos = serializers.IntegerField(source="videos_count", read_only=True)
    images = serializers.IntegerField(source="images_count", read_only=True)
    events = serializers.IntegerField(source="events_count", read_only=True)
    pending_events = serializers.IntegerField(read_only=True, help_text="events without a verdict")

    class Meta(StudySerializer.Meta):
        fields = [*StudySerializer.Meta.fields, "videos", "images", "events", "pending_events"]


class StudyUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=StudyStatus.choices)


class StudyFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=StudyStatus.choices, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    reviewer = serializers.IntegerField(required=False, min_value=1,
                                        help_text="a user id: the studies they own or are members of")


class StillImageSerializer(serializers.ModelSerializer):
    has_ground_truth = serializers.BooleanField(read_only=True)
    revisions = serializers.IntegerField(source="revisions_count", read_only=True)

    class Meta:
        model = StillImage
        fields = ["id", "study", "original_name", "width", "height", "has_ground_truth", "revisions", "created_at"]


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


