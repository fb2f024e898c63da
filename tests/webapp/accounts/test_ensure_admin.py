import io

import pytest
from django.core.management import call_command

from webapp.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_it_creates_the_admin_once_with_a_generated_password(settings):
    settings.ADMIN_PASSWORD = ""
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    password = out.getvalue().strip().rsplit(" ", 1)[-1]
    admin = User.objects.get(username="admin")
    assert admin.role == Role.ADMIN and admin.is_superuser and admin.check_password(password)
    again = io.StringIO()
    call_command("ensure_admin", stdout=again)
    assert "exists" in again.getvalue() and User.objects.get(username="admin").check_password(password)


def test_it_uses_the_configured_password(settings):
    settings.ADMIN_PASSWORD = "from-the-environment-42"
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert "POLYPSCOPE_ADMIN_PASSWORD" in out.getvalue() and "from-the-environment-42" not in out.getvalue()
    assert User.objects.get(username="admin").check_password("from-the-environment-42")
