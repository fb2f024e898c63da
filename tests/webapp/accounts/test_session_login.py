import pytest
from django.test import Client

from tests.webapp.accounts.factories import PASSWORD, make_user
from webapp.audit.models import Action, AuditEntry

pytestmark = pytest.mark.django_db


def test_the_browser_logs_in_with_a_session_and_writes_with_the_csrf_token(owner):
    client = Client(enforce_csrf_checks=True)
    anonymous = client.get("/api/auth/session/")
    assert anonymous.status_code == 401 and "csrftoken" in anonymous.cookies
    login = client.post("/api/auth/session/", {"username": owner.username, "password": PASSWORD},
                        content_type="application/json")
    assert login.status_code == 200 and login.json()["role"] == "gastroenterologist"
    assert client.get("/api/auth/session/").json()["username"] == owner.username
    study = {"patient_pseudo_id": "P-CSRF", "date": "2026-11-28"}
    assert client.post("/api/studies/", study, content_type="application/json").status_code == 403  # no token
    token = client.cookies["csrftoken"].value
    created = client.post("/api/studies/", study, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert created.status_code == 201
    assert client.delete("/api/auth/session/", HTTP_X_CSRFTOKEN=token).status_code == 204
    assert client.get("/api/auth/session/").status_code == 401
    assert AuditEntry.objects.filter(action=Action.LOGIN, actor=owner).exists()


def test_a_wrong_password_is_a_400_and_is_audited():
    user = make_user()
    response = Client().post("/api/auth/session/", {"username": user.username, "password": "nope"},
                             content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"] == "wrong username or password"
    assert AuditEntry.objects.filter(action=Action.LOGIN_FAILED, detail__username=user.username).exists()
