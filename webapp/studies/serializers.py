from __future__ import annotations

from rest_framework import serializers

from webapp.studies.models import StillImage, Study, StudyStatus


class StudyCreateSerializer(serializers.Serializer):
    patient_pseudo_id = serializers.RegexField(r"^[A-Za-z0-9._-]{1,64}$", help_text="Pseudonym, letters/digits/._-")
    date = serializers.DateField()
    indication = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    members = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=500,
                                    help_text="user ids to assign at once (admins only)")


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.CharField()


class StudyMembersSerializer(serializers.Serializer):
    members = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=True, max_length=500,
                                    help_text="user ids: exactly these gastroenterologists and annotators")


class StudySerializer(serializers.ModelSerializer):
    patient_pseudo_id = serializers.CharField(source="patient.pseudo_id", read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True)
    members = MemberSerializer(many=True, read_only=True, help_text="people assigned to the study")

    class Meta:
        model = Study
        fields = ["id", "patient_pseudo_id", "date", "indication", "status", "owner", "members", "created_at"]


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




class ImagesUploadSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(allow_empty_file=True), allow_empty=False,
                                  help_text="JPEG or PNG images, or Kvasir-SEG zips (images with ground truth)")


class ImagesAddedSerializer(serializers.Serializer):
    images = StillImageSerializer(many=True)


# --- the sign-off report (webapp/studies/report.py) ---


class _ReportVerdictSerializer(serializers.Serializer):
    value = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    reviewer = serializers.CharField()
    created_at = serializers.DateTimeField()


class _ReportEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    start_index = serializers.IntegerField()
    end_index = serializers.IntegerField()
    peak_index = serializers.IntegerField()
    peak_score = serializers.FloatField()
    start_s = serializers.FloatField()
    end_s = serializers.FloatField()
    thumbnail = serializers.CharField(help_text="URL of the peak frame as a JPEG preview")
    mask = serializers.CharField(help_text="URL of the model's mask of the peak frame (0/255 PNG at the video's size)")
    verdict = _ReportVerdictSerializer(allow_null=True)
    earlier_verdicts = serializers.IntegerField(help_text="verdicts the current one superseded")


class _ReportVideoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    status = serializers.CharField()
    frame_count = serializers.IntegerField()
    fps = serializers.FloatField()
    duration_s = serializers.FloatField()
    model_version = serializers.CharField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    events = _ReportEventSerializer(many=True)


class _ReportStudySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient_pseudo_id = serializers.CharField()
    date = serializers.DateField()
    indication = serializers.CharField(allow_blank=True)
    status = serializers.CharField()
    owner = serializers.CharField()


class _SignedOffSerializer(serializers.Serializer):
    by = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)


class _ReportVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.CharField()
    videos = serializers.IntegerField()
    images = serializers.IntegerField()


class _ReportSummarySerializer(serializers.Serializer):
    videos = serializers.IntegerField()
    events = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    false_positive = serializers.IntegerField()
    uncertain = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="events of finished videos without a verdict")
    images = serializers.IntegerField()
    images_with_ground_truth = serializers.IntegerField()
    images_corrected = serializers.IntegerField()


class StudyReportSerializer(serializers.Serializer):
    study = _ReportStudySerializer()
    signed_off = _SignedOffSerializer(allow_null=True, help_text="who closed the study and when; null unless closed")
    generated_at = serializers.DateTimeField()
    members = MemberSerializer(many=True)
    reviewers = serializers.ListField(child=serializers.CharField(), help_text="who gave the current verdicts")
    model_versions = _ReportVersionSerializer(many=True)
    summary = _ReportSummarySerializer()
    videos = _ReportVideoSerializer(many=True)
