"""Changes made in the Django admin leave audit entries (users, roles, study members, deletions)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from webapp.accounts.models import Role, User
from webapp.audit.models import Action, AuditEntry
from webapp.studies.models import Study

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    admin = User.objects.create_superuser("root", password="root-pass-123")
    client = Client()
    client.force_login(admin)
    return client, admin


def _entries(operation: str):
    return list(AuditEntry.objects.filter(action=Action.ADMIN_CHANGE, detail__operation=operation))


def test_a_user_added_and_a_role_changed_in_the_admin_are_audited(admin_client):
    client, admin = admin_client
    response = client.post("/admin/accounts/user/add/", {
        "username": "newbie", "password1": "a-Long-passw0rd-9", "password2": "a-Long-passw0rd-9",
        "usable_password": "true",
    })
    assert response.status_code == 302, response.content[:500]
    newbie = User.objects.get(username="newbie")
    (added,) = _entries("add")
    assert (added.actor, added.target_type, added.target_id) == (admin, "accounts.user", str(newbie.pk))
    response = client.post(f"/admin/accounts/user/{newbie.pk}/password/", {
        "password1": "another-Passw0rd-7", "password2": "another-Passw0rd-7", "usable_password": "true",
    })
    assert response.status_code == 302, response.content[:500]
    assert any(e.target_id == str(newbie.pk) for e in _entries("change"))


def test_study_members_changed_in_the_admin_are_audited_with_the_fields(admin_client):
    client, admin = admin_client
    owner = make_user(Role.GASTROENTEROLOGIST)
    annotator = make_user(Role.ANNOTATOR)
    study = make_study(owner)
    response = client.post(f"/admin/studies/study/{study.pk}/change/", {
        "patient": study.patient_id, "date": study.date.isoformat(), "indication": study.indication,
        "status": study.status, "owner": owner.pk, "members": [annotator.pk],
    })
    assert response.status_code == 302, response.content[:800]
    assert list(study.members.all()) == [annotator]
    (changed,) = _entries("change")
    assert changed.target_type == "studies.study" and changed.actor == admin
    assert [f.lower() for f in changed.detail["fields"]] == ["members"]


def test_a_deletion_in_the_admin_is_audited(admin_client):
    client, admin = admin_client
    study = make_study(admin, pseudo_id="TO-DELETE")
    response = client.post(f"/admin/studies/study/{study.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Study.objects.filter(pk=study.pk).exists()
    (deleted,) = _entries("delete")
    assert deleted.target_type == "studies.study" and deleted.target_id == str(study.pk)
    assert "TO-DELETE" in deleted.detail["object"]
