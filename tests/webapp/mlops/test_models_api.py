import pytest

from tests.webapp.accounts.factories import make_user
from webapp.accounts.models import Role
from webapp.mlops.services import model_version_ensure_active

pytestmark = pytest.mark.django_db


def test_admins_list_model_versions_with_metrics_and_the_active_one(api_client):
    active = model_version_ensure_active()
    api_client.force_authenticate(make_user(Role.ADMIN))
    body = api_client.get("/api/models/").json()
    assert [(m["id"], m["is_active"], m["sha256"]) for m in body] == [(active.pk, True, active.sha256)]
    assert body[0]["metrics"] == active.metrics and body[0]["version"] == active.version


def test_other_roles_do_not_see_model_versions(api_client):
    api_client.force_authenticate(make_user(Role.ANNOTATOR))
    assert api_client.get("/api/models/").status_code == 403
