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
