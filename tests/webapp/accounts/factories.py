from __future__ import annotations

import itertools

from webapp.accounts.models import Role, User
from webapp.accounts.services import user_create

_seq = itertools.count()
PASSWORD = "correct-horse-battery-9"


def make_user(role: str = Role.GASTROENTEROLOGIST, username: str | None = None) -> User:
    return user_create(username=username or f"{role}-{next(_seq)}", password=PASSWORD, role=role)
