"""Reads on users."""

from __future__ import annotations

from django.db import models
from rest_framework.authtoken.models import Token

from webapp.accounts.models import User


def user_get_by_token(*, token: str) -> User | None:
    found = Token.objects.select_related("user").filter(key=token).first()
    if found is None or not found.user.is_active:
        return None
    return found.user


def user_list(*, role: str | None = None):
    """Active users, by username; role: only that role (superusers count as admins)."""
    users = User.objects.filter(is_active=True).order_by("username")
    if role == "admin":
        return users.filter(models.Q(role=role) | models.Q(is_superuser=True))
    return users.filter(role=role) if role else users
