"""Changes made in the Django admin are audited like any other: the admin's own change log hooks
(log_addition, log_change, log_deletions) also write the append-only audit log, so users, roles, study members
and every other admin edit, password changes included, leave an entry naming who, what and which fields."""

from __future__ import annotations

from django.contrib import admin

from webapp.audit.models import Action
from webapp.audit.services import audit_record


def _fields(message) -> list[str]:
    """The changed field names out of the admin's change message ([{"changed": {"fields": [...]}}, ...])."""
    names: list[str] = []
    for part in message if isinstance(message, list) else []:
        for detail in part.values():
            names.extend(detail.get("fields", []) if isinstance(detail, dict) else [])
    return names


class AuditedModelAdmin(admin.ModelAdmin):
    def log_addition(self, request, obj, message):
        audit_record(actor=request.user, action=Action.ADMIN_CHANGE, target=obj,
                     detail={"operation": "add", "object": str(obj)[:200]})
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        audit_record(actor=request.user, action=Action.ADMIN_CHANGE, target=obj,
                     detail={"operation": "change", "object": str(obj)[:200], "fields": _fields(message),
                             "message": message if isinstance(message, str) else ""})
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit_record(actor=request.user, action=Action.ADMIN_CHANGE, target=obj,
                         detail={"operation": "delete", "object": str(obj)[:200]})
        return super().log_deletions(request, queryset)
