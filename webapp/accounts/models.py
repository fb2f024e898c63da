"""Users and their role: gastroenterologist (reviews events), annotator (corrects masks), admin."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    GASTROENTEROLOGIST = "gastroenterologist", "Gastroenterologist"
    ANNOTATOR = "annotator", "Annotator"
    ADMIN = "admin", "Admin"


class User(AbstractUser):
    # No default: a user without a role gets nothing (least privilege); superusers count as admins.
    role = models.CharField(max_length=32, choices=Role.choices, blank=True)

    def has_role(self, *roles: str) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser or self.role == Role.ADMIN:
            return True
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.is_active and (self.is_superuser or self.role == Role.ADMIN)
