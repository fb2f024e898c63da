"""Reads on the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from webapp.audit.models import AuditEntry


def audit_entry_list(*, action: str | None = None) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all()
    if action:
        entries = entries.filter(action=action)
    return entries.order_by("-at", "-id")
