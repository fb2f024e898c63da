"""Users administered in the app (admins): create with a required role, change role, deactivate, reactivate,
set a password; the last admin cannot lock everyone out; every change is audited."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.webapp.accounts.factories import PASSWORD, make_user
from webapp.accounts.models import Role, User
from webapp.accounts.services import user_ensure_admin
from webapp.audit.models import Action, AuditEntry

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-lantern-orbit-58"


@pytest.fixture
def admin():
    return make_user(Role.ADMIN, username="boss")


@pytest.fixture
def as_admin(api_client, admin):
    api_client.force_authenticate(admin)
    return api_client


def _token_login(api_client, username: str, password: str):
    api_client.force_authenticate(None)
    return api_client.post("/api/auth/token/", {"username": username, "password": password}, format="json")


def test_an_admin_creates_a_user_who_logs_in_at_once(as_admin, admin):
    response = as_admin.post("/api/users/", {"username": "new-ann", "password": NEW_PASSWORD, "role": "annotator"},
                             format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["username"], body["role"], body["is_active"], body["last_login"]) == (
        "new-ann", "annotator", True, None)
    assert "password" not in body
    login = _token_login(as_admin, "new-ann", NEW_PASSWORD)
    assert login.status_code == 200 and login.json()["role"] == "annotator"
    entry = AuditEntry.objects.get(action=Action.USER_CREATE, target_id=str(body["id"]))
    assert (entry.actor, entry.target_type, entry.detail) == (
        admin, "accounts.user", {"username": "new-ann", "role": "annotator"})


@pytest.mark.parametrize("role", ["gastroenterologist", "annotator", "admin"])
def test_each_role_can_be_created(as_admin, role):
    response = as_admin.post("/api/users/", {"username": f"u-{role}", "password": NEW_PASSWORD, "role": role},
                             format="json")
    assert response.status_code == 201 and response.json()["role"] == role
    user = User.objects.get(username=f"u-{role}")
    assert user.is_staff == (role == "admin") and user.has_role(role)


@pytest.mark.parametrize("body", [{}, {"role": ""}, {"role": None}])
def test_the_role_is_required(as_admin, body):
    response = as_admin.post("/api/users/", {"username": "norole", "password": NEW_PASSWORD, **body}, format="json")
    assert response.status_code == 400
    assert "a role is required" in response.json()["role"][0]
    assert not User.objects.filter(username="norole").exists()


def test_an_unknown_role_is_named(as_admin):
    response = as_admin.post("/api/users/", {"username": "x", "password": NEW_PASSWORD, "role": "surgeon"},
                             format="json")
    assert response.status_code == 400 and '"surgeon" is not a role' in response.json()["role"][0]


def test_a_taken_username_is_a_409_whatever_its_case(as_admin):
    make_user(Role.ANNOTATOR, username="alice")
    for name in ("alice", "Alice"):
        response = as_admin.post("/api/users/", {"username": name, "password": NEW_PASSWORD, "role": "annotator"},
                                 format="json")
        assert response.status_code == 409
        assert response.json() == {"detail": f"a user named '{name}' exists already", "code": "username_taken"}
    assert User.objects.filter(username__iexact="alice").count() == 1


@pytest.mark.parametrize(("password", "message"), [
    ("short1", "too short"),
    ("password123", "too common"),
    ("carol-clinic", "too similar to the username"),
])
def test_the_password_validators_speak_clearly(as_admin, password, message):
    response = as_admin.post("/api/users/", {"username": "carol-clinic", "password": password, "role": "annotator"},
                             format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "password_invalid" and message in response.json()["detail"]
    assert not User.objects.filter(username="carol-clinic").exists()


def test_a_malformed_username_is_refused(as_admin):
    response = as_admin.post("/api/users/", {"username": "a b<c>", "password": NEW_PASSWORD, "role": "annotator"},
                             format="json")
    assert response.status_code == 400 and "username" in response.json()


@pytest.mark.parametrize("role", [Role.GASTROENTEROLOGIST, Role.ANNOTATOR, ""])
def test_only_admins_create_and_change_users(api_client, role):
    user = make_user(Role.ANNOTATOR)
    if not role:
        user.role = ""
        user.save(update_fields=["role"])
    target = make_user(Role.ANNOTATOR)
    api_client.force_authenticate(user)
    body = {"username": "sneaky", "password": NEW_PASSWORD, "role": "admin"}
    assert api_client.post("/api/users/", body, format="json").status_code == 403
    assert api_client.patch(f"/api/users/{target.pk}/", {"role": "admin"}, format="json").status_code == 403
    assert api_client.get(f"/api/users/{target.pk}/").status_code == 403
    assert not User.objects.filter(username="sneaky").exists()
    assert User.objects.get(pk=target.pk).role == Role.ANNOTATOR


def test_anonymous_requests_get_401(api_client):
    target = make_user(Role.ANNOTATOR)
    body = {"username": "anon", "password": NEW_PASSWORD, "role": "admin"}
    assert api_client.post("/api/users/", body, format="json").status_code == 401
    assert api_client.patch(f"/api/users/{target.pk}/", {"role": "admin"}, format="json").status_code == 401
    assert api_client.get("/api/users/").status_code == 401


def test_the_user_list_keeps_its_role_filter_and_shows_admins_more(api_client, admin):
    gi = make_user(Role.GASTROENTEROLOGIST, username="gi-1")
    gone = make_user(Role.GASTROENTEROLOGIST, username="gi-gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    api_client.force_authenticate(gi)
    rows = api_client.get("/api/users/?role=gastroenterologist").json()
    assert rows == [{"id": gi.pk, "username": "gi-1", "role": "gastroenterologist"}]
    assert [r["username"] for r in api_client.get("/api/users/?include_inactive=true").json()] == ["boss", "gi-1"]
    api_client.force_authenticate(admin)
    rows = api_client.get("/api/users/?role=gastroenterologist").json()
    assert [(r["username"], r["is_active"]) for r in rows] == [("gi-1", True)]
    assert set(rows[0]) == {"id", "username", "role", "is_active", "is_superuser", "last_login", "date_joined"}
    rows = api_client.get("/api/users/?role=gastroenterologist&include_inactive=true").json()
    assert [(r["username"], r["is_active"]) for r in rows] == [("gi-1", True), ("gi-gone", False)]


def test_an_admin_changes_a_role_and_it_is_audited(as_admin, admin):
    user = make_user(Role.ANNOTATOR, username="ann-role")
    response = as_admin.patch(f"/api/users/{user.pk}/", {"role": "gastroenterologist"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "gastroenterologist"
    user.refresh_from_db()
    assert user.has_role(Role.GASTROENTEROLOGIST) and not user.has_role(Role.ANNOTATOR)
    entry = AuditEntry.objects.get(action=Action.USER_ROLE)
    assert (entry.actor, entry.target_id, entry.detail) == (
        admin, str(user.pk), {"username": "ann-role", "from": "annotator", "to": "gastroenterologist"})
    response = as_admin.patch(f"/api/users/{user.pk}/", {"role": "admin"}, format="json")
    assert response.status_code == 200 and User.objects.get(pk=user.pk).is_staff


def test_deactivation_ends_logins_and_tokens_and_reactivation_restores_them(as_admin, api_client, admin):
    user = make_user(Role.ANNOTATOR, username="leaver")
    token = Token.objects.create(user=user)
    browser = Client()
    assert browser.login(username="leaver", password=PASSWORD)
    api_client.force_authenticate(admin)
    response = api_client.patch(f"/api/users/{user.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert not Token.objects.filter(key=token.key).exists()
    assert browser.get("/api/auth/session/").status_code == 401
    assert _token_login(api_client, "leaver", PASSWORD).status_code == 400
    api_client.force_authenticate(admin)
    assert api_client.patch(f"/api/users/{user.pk}/", {"is_active": True}, format="json").status_code == 200
    assert _token_login(api_client, "leaver", PASSWORD).status_code == 200
    actions = list(AuditEntry.objects.filter(target_id=str(user.pk), actor=admin)
                   .order_by("id").values_list("action", flat=True))
    assert actions == [Action.USER_DEACTIVATE, Action.USER_REACTIVATE]


def test_an_admin_sets_a_password_which_ends_the_old_one(as_admin, api_client, admin):
    user = make_user(Role.GASTROENTEROLOGIST, username="forgetful")
    token = Token.objects.create(user=user)
    assert as_admin.patch(f"/api/users/{user.pk}/", {"password": "123"}, format="json").status_code == 400
    response = as_admin.patch(f"/api/users/{user.pk}/", {"password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200
    assert not Token.objects.filter(key=token.key).exists()
    assert _token_login(api_client, "forgetful", PASSWORD).status_code == 400
    assert _token_login(api_client, "forgetful", NEW_PASSWORD).status_code == 200
    entry = AuditEntry.objects.get(action=Action.USER_PASSWORD)
    assert entry.actor == admin and NEW_PASSWORD not in str(entry.detail)


def test_an_empty_or_unknown_change_is_a_400_and_an_unknown_user_a_404(as_admin):
    user = make_user(Role.ANNOTATOR)
    assert as_admin.patch(f"/api/users/{user.pk}/", {}, format="json").status_code == 400
    assert as_admin.patch(f"/api/users/{user.pk}/", {"role": "boss"}, format="json").status_code == 400
    assert as_admin.patch("/api/users/999999/", {"role": "admin"}, format="json").status_code == 404


def test_the_last_admin_cannot_be_demoted_or_deactivated(as_admin, admin):
    for change in ({"role": "annotator"}, {"is_active": False}):
        response = as_admin.patch(f"/api/users/{admin.pk}/", change, format="json")
        assert response.status_code == 409
    response = as_admin.patch(f"/api/users/{admin.pk}/", {"role": "annotator"}, format="json")
    assert response.json()["code"] == "last_admin" and "last active admin" in response.json()["detail"]
    admin.refresh_from_db()
    assert admin.is_admin and admin.role == Role.ADMIN
    assert not AuditEntry.objects.filter(action__in=[Action.USER_ROLE, Action.USER_DEACTIVATE]).exists()


def test_an_admin_cannot_deactivate_themselves_but_may_step_down_when_another_admin_remains(as_admin, admin):
    other = make_user(Role.ADMIN, username="boss-2")
    response = as_admin.patch(f"/api/users/{admin.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "self_deactivation"
    assert as_admin.patch(f"/api/users/{admin.pk}/", {"role": "gastroenterologist"}, format="json").status_code == 200
    # Now `other` is the last admin: the demoted one can no longer touch users, and other cannot step down.
    admin.refresh_from_db()
    as_admin.force_authenticate(admin)
    assert as_admin.patch(f"/api/users/{other.pk}/", {"role": "annotator"}, format="json").status_code == 403
    as_admin.force_authenticate(other)
    assert as_admin.patch(f"/api/users/{other.pk}/", {"role": "annotator"}, format="json").status_code == 409


def test_demoting_a_superuser_takes_effect(as_admin):
    root, _ = user_ensure_admin(username="root", password="x")  # the operator's admin: any password
    response = as_admin.patch(f"/api/users/{root.pk}/", {"role": "annotator"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "annotator"
    root.refresh_from_db()
    assert not root.is_superuser and not root.is_staff and not root.is_admin
    entry = AuditEntry.objects.get(action=Action.USER_ROLE, target_id=str(root.pk))
    assert entry.detail["from"] == "admin" and entry.detail["to"] == "annotator"


def test_a_user_without_a_role_is_told_whom_to_ask():
    make_user(Role.ADMIN, username="zed-admin")
    make_user(Role.ADMIN, username="amy-admin")
    retired = make_user(Role.ADMIN, username="old-admin")
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    newbie = make_user(Role.ANNOTATOR, username="newbie")
    newbie.role = ""
    newbie.save(update_fields=["role"])
    browser = Client()
    assert browser.login(username="newbie", password=PASSWORD)
    session = browser.get("/api/auth/session/").json()
    assert session == {"id": newbie.pk, "username": "newbie", "role": "", "admins": ["amy-admin", "zed-admin"]}
    refused = browser.get("/api/studies/")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "your account has no role yet: ask an admin to give you one"
    with_no_permission = Client()
    with_no_permission.force_login(make_user(Role.ANNOTATOR))
    assert "no role" not in with_no_permission.get("/api/audit/").json()["detail"]
    with_role = Client()
    with_role.force_login(make_user(Role.ANNOTATOR))
    assert "admins" not in with_role.get("/api/auth/session/").json()


def test_an_admin_who_sets_their_own_password_stays_logged_in(admin):
    browser = Client()
    assert browser.login(username="boss", password=PASSWORD)
    token = browser.get("/api/auth/session/").cookies["csrftoken"].value
    response = browser.patch(f"/api/users/{admin.pk}/", {"password": NEW_PASSWORD}, content_type="application/json",
                             HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert browser.get("/api/auth/session/").json()["username"] == "boss"
    other = Client()
    assert not other.login(username="boss", password=PASSWORD) and other.login(username="boss", password=NEW_PASSWORD)
