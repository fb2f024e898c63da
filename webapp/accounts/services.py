"""Writes on users."""

from __future__ import annotations

import secrets

from django.db import transaction

from webapp.accounts.models import Role, User


@transaction.atomic
def user_create(*, username: str, password: str, role: str, email: str = "") -> User:
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(Role.values)}")
    user = User(username=username, email=email, role=role, is_staff=role == Role.ADMIN)
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def user_ensure_admin(*, username: str = "admin", password: str = "") -> tuple[User, str | None]:
    """Create the admin user once. Returns (user, the generated password or None when none was made)."""
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, None
    generated = None if password else secrets.token_urlsafe(12)
    user = user_create(username=username, password=password or generated, role=Role.ADMIN)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user, generated
