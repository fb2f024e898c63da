"""Session logins and failed logins go to the audit log (Django only announces them by signal)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from webapp.audit.models import Action
from webapp.audit.services import audit_record


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs) -> None:
    audit_record(actor=user, action=Action.LOGIN, target=user)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit_record(actor=None, action=Action.LOGIN_FAILED, detail={"username": username})
