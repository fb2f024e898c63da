"""The invite link: an admin creates a user without a password (or makes a link for anyone who forgot
theirs); the person sets their own password once through the link, which then stops working."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.webapp.accounts.factories import PASSWORD, make_user
from webapp.accounts.models import Role, User
from webapp.audit.models import Action, AuditEntry

pytestmark = pytest.mark.django_db

CHOSEN = "velvet-compass-river-7"


@pytest.fixture
def as_admin(api_client):
    api_client.force_authenticate(make_user(Role.ADMIN, username="inviter"))
    return api_client


def _parts(invite: dict) -> dict:
    query = parse_qs(urlsplit(invite["path"]).query)
    assert invite["path"].startswith("/app/set-password?") and invite["url"].endswith(invite["path"])
    return {"uid": query["uid"][0], "token": query["token"][0]}


def test_a_user_created_without_a_password_gets_a_link_that_works_once(as_admin, api_client):
    response = as_admin.post("/api/users/", {"username": "invited", "role": "gastroenterologist"}, format="json")
    assert response.status_code == 201
    parts = _parts(response.json()["invite"])
    user = User.objects.get(username="invited")
    assert not user.has_usable_password()
    api_client.force_authenticate(None)
    assert api_client.get("/api/auth/invite/", parts).json()["username"] == "invited"
    weak = api_client.post("/api/auth/invite/", {**parts, "password": "invited"}, format="json")
    assert weak.status_code == 400 and weak.json()["code"] == "password_invalid"
    done = api_client.post("/api/auth/invite/", {**parts, "password": CHOSEN}, format="json")
    assert done.status_code == 200 and done.json()["role"] == "gastroenterologist"
    login = api_client.post("/api/auth/token/", {"username": "invited", "password": CHOSEN}, format="json")
    assert login.status_code == 200
    again = api_client.post("/api/auth/invite/", {**parts, "password": "another-" + CHOSEN}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "invite_invalid"
    assert api_client.get("/api/auth/invite/", parts).status_code == 400
    assert AuditEntry.objects.filter(action=Action.USER_INVITE, target_id=str(user.pk)).exists()
    entry = AuditEntry.objects.get(action=Action.USER_PASSWORD, target_id=str(user.pk))
    assert entry.actor == user and entry.detail == {"username": "invited", "via": "invite"}
    assert parts["token"] not in str(list(AuditEntry.objects.values_list("detail", flat=True)))


def test_an_admin_makes_a_link_for_someone_who_forgot_their_password(as_admin, api_client):
    user = make_user(Role.ANNOTATOR, username="forgot")
    response = as_admin.post(f"/api/users/{user.pk}/invite/")
    assert response.status_code == 201 and "expires_at" in response.json()
    parts = _parts(response.json())
    api_client.force_authenticate(None)
    assert api_client.post("/api/auth/invite/", {**parts, "password": CHOSEN}, format="json").status_code == 200
    assert api_client.post("/api/auth/token/", {"username": "forgot", "password": PASSWORD},
                           format="json").status_code == 400


@pytest.mark.parametrize("parts", [
    {"uid": "MQ", "token": "nope"}, {"uid": "%%%", "token": "x"}, {"uid": "", "token": ""},
    {"uid": "\x00", "token": "x"},
])
def test_a_mangled_link_is_a_400(api_client, parts):
    make_user(Role.ANNOTATOR)
    assert api_client.post("/api/auth/invite/", {**parts, "password": CHOSEN}, format="json").status_code == 400
    assert api_client.get("/api/auth/invite/", parts).status_code == 400


def test_no_link_for_a_deactivated_user_and_a_deactivated_user_cannot_use_one(as_admin, api_client):
    user = make_user(Role.ANNOTATOR)
    parts = _parts(as_admin.post(f"/api/users/{user.pk}/invite/").json())
    assert as_admin.patch(f"/api/users/{user.pk}/", {"is_active": False}, format="json").status_code == 200
    response = as_admin.post(f"/api/users/{user.pk}/invite/")
    assert response.status_code == 409 and response.json()["code"] == "user_inactive"
    api_client.force_authenticate(None)
    assert api_client.post("/api/auth/invite/", {**parts, "password": CHOSEN}, format="json").status_code == 400


@pytest.mark.parametrize("role", [Role.GASTROENTEROLOGIST, Role.ANNOTATOR, ""])
def test_only_admins_make_links(api_client, role):
    user = make_user(Role.ANNOTATOR)
    user.role = role
    user.save(update_fields=["role"])
    api_client.force_authenticate(user)
    assert api_client.post(f"/api/users/{user.pk}/invite/").status_code == 403
    api_client.force_authenticate(None)
    assert api_client.post(f"/api/users/{user.pk}/invite/").status_code == 401
    api_client.force_authenticate(make_user(Role.ADMIN))
    assert api_client.post("/api/users/999999/invite/").status_code == 404
