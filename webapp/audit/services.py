"""The one way to write the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models

from webapp.audit.models import AuditEntry


def audit_record(
    *, actor: Any, action: str, target: models.Model | None = None, detail: dict | None = None
) -> AuditEntry:
    """Append one entry. actor: a user or None (anonymous, e.g. a failed login)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_username=user.get_username() if user else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        detail=detail or {},
    )
