"""python manage.py ensure_admin: the `admin` user, created once (password: POLYPSCOPE_ADMIN_PASSWORD or generated)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from webapp.accounts.services import user_ensure_admin


class Command(BaseCommand):
    help = "Create the admin user unless it exists; print a generated password once."

    def handle(self, *args, **options) -> None:
        user, generated = user_ensure_admin(password=settings.ADMIN_PASSWORD)
        if generated:
            self.stdout.write(f"admin user created: username {user.username}, password {generated}")
        elif settings.ADMIN_PASSWORD and user.check_password(settings.ADMIN_PASSWORD):
            self.stdout.write(f"admin user {user.username}: password from POLYPSCOPE_ADMIN_PASSWORD")
        else:
            self.stdout.write(f"admin user {user.username} exists; password unchanged")
