"""Reads on users."""

from __future__ import annotations

from rest_framework.authtoken.models import Token

from webapp.accounts.models import User


def user_get_by_token(*, token: str) -> User | None:
    found = Token.objects.select_related("user").filter(key=token).first()
    if found is None or not found.user.is_active:
        return None
    return found.user
