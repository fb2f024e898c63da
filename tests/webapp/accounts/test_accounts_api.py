import pytest
from rest_framework.authtoken.models import Token

from tests.webapp.accounts.factories import PASSWORD, make_user
from webapp.accounts.models import Role
from webapp.audit.models import Action, AuditEntry

pytestmark = pytest.mark.django_db


def test_a_token_login_returns_a_token_and_is_audited(api_client):
    user = make_user(Role.ANNOTATOR, username="ann")
    response = api_client.post("/api/auth/token/", {"username": "ann", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key, "role": "annotator"}
    assert AuditEntry.objects.filter(action=Action.LOGIN, actor=user).count() == 1


def test_a_wrong_password_gets_400_and_a_failed_login_entry(api_client):
    make_user(username="doc")
    response = api_client.post("/api/auth/token/", {"username": "doc", "password": "nope"}, format="json")
    assert response.status_code == 400
    entry = AuditEntry.objects.get(action=Action.LOGIN_FAILED)
    assert entry.actor is None and entry.detail == {"username": "doc"}


def test_a_session_login_is_audited(client):
    user = make_user(username="sess")
    assert client.login(username="sess", password=PASSWORD)
    assert AuditEntry.objects.filter(action=Action.LOGIN, actor=user).exists()


def test_roles(db):
    gastro, annotator, admin, nobody = (make_user(Role.GASTROENTEROLOGIST), make_user(Role.ANNOTATOR),
                                        make_user(Role.ADMIN), make_user(Role.ANNOTATOR))
    nobody.role = ""
    assert gastro.has_role(Role.GASTROENTEROLOGIST) and not gastro.has_role(Role.ANNOTATOR)
    assert annotator.has_role(Role.ANNOTATOR) and not annotator.is_admin
    assert admin.has_role(Role.GASTROENTEROLOGIST) and admin.is_admin  # admins may do everything
    assert not nobody.has_role(Role.GASTROENTEROLOGIST, Role.ANNOTATOR)
    gastro.is_active = False
    assert not gastro.has_role(Role.GASTROENTEROLOGIST)


def test_a_user_without_a_role_gets_nothing(api_client):
    user = make_user()
    user.role = ""
    user.save(update_fields=["role"])
    api_client.force_authenticate(user)
    assert api_client.get("/api/studies/").status_code == 403
