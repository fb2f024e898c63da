"""Reads on users."""

from __future__ import annotations

from django.db import models
from rest_framework.authtoken.models import Token

from webapp.accounts.authentication import token_expired
from webapp.accounts.models import Role, User

_ADMIN = models.Q(role=Role.ADMIN) | models.Q(is_superuser=True)


def user_get_by_token(*, token: str) -> User | None:
    """The active user whose unexpired API token this is (the websocket's ?token=), else None."""
    if not token or len(token) > 40 or "\x00" in token:  # keys are 40 characters; PostgreSQL refuses NUL
        return None
    found = Token.objects.select_related("user").filter(key=token).first()
    if found is None or not found.user.is_active or token_expired(found):
        return None
    return found.user


def user_get(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def user_list(*, role: str | None = None, include_inactive: bool = False):
    """Users by username, active ones only unless include_inactive; role: only that role (superusers count
    as admins)."""
    users = User.objects.order_by("username")
    if not include_inactive:
        users = users.filter(is_active=True)
    if role == Role.ADMIN:
        return users.filter(_ADMIN)
    return users.filter(role=role) if role else users


def user_admin_usernames() -> list[str]:
    """Whom a user without a role asks: the active admins' names."""
    return list(User.objects.filter(is_active=True).filter(_ADMIN).order_by("username")
                .values_list("username", flat=True))
