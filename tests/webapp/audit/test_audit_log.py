import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from webapp.accounts.models import Role
from webapp.audit.models import Action, AuditEntry
from webapp.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_entries_record_who_what_which_and_when():
    user = make_user(username="dr-a")
    study = make_study(user)
    entry = AuditEntry.objects.get(action=Action.STUDY_CREATE)
    assert (entry.actor, entry.actor_username, entry.target_type, entry.target_id) == (
        user, "dr-a", "studies.study", str(study.pk))
    assert entry.at is not None


def test_the_log_is_append_only():
    entry = audit_record(actor=None, action=Action.LOGIN_FAILED)
    entry.action = Action.LOGIN
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(action=Action.LOGIN)


def test_the_actor_name_survives_the_deletion_of_the_user():
    user = make_user(username="gone")
    audit_record(actor=user, action=Action.EXPORT)
    user.delete()
    entry = AuditEntry.objects.get(action=Action.EXPORT)
    assert entry.actor is None and entry.actor_username == "gone"


def test_only_admins_read_the_log(api_client):
    make_study(make_user())
    api_client.force_authenticate(make_user(Role.GASTROENTEROLOGIST))
    assert api_client.get("/api/audit/").status_code == 403
    api_client.force_authenticate(make_user(Role.ADMIN))
    response = api_client.get("/api/audit/?action=study_create")
    assert response.status_code == 200
    assert [r["action"] for r in response.json()["results"]] == ["study_create"]


def test_unauthenticated_users_read_nothing(api_client):
    assert api_client.get("/api/audit/").status_code == 401
