"""GET /api/models/: model versions with their metrics and which one is active (admins)."""

from __future__ import annotations

from rest_framework import generics, serializers

from webapp.accounts.permissions import IsAdminRole
from webapp.mlops.models import ModelVersion


class ModelVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = ["id", "version", "sha256", "checkpoint_path", "config", "metrics", "is_active", "created_at"]
        read_only_fields = fields


class ModelVersionListView(generics.ListAPIView):
    permission_classes = [IsAdminRole]
    serializer_class = ModelVersionSerializer
    pagination_class = None
    queryset = ModelVersion.objects.order_by("-is_active", "-created_at")
