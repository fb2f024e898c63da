"""GET /api/audit/: the audit log, newest first, admins only."""

from __future__ import annotations

from rest_framework import generics, serializers

from webapp.accounts.permissions import IsAdminRole
from webapp.audit.models import AuditEntry
from webapp.audit.selectors import audit_entry_list


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor_username", "action", "target_type", "target_id", "detail"]


class AuditEntryListView(generics.ListAPIView):
    permission_classes = [IsAdminRole]
    serializer_class = AuditEntrySerializer

    def get_queryset(self):
        return audit_entry_list(action=self.request.query_params.get("action"))
