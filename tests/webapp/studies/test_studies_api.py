import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from webapp.accounts.models import Role
from webapp.studies.models import Patient, Study
from webapp.studies.services import study_add_member

pytestmark = pytest.mark.django_db


def test_a_gastroenterologist_creates_a_study(api_client):
    user = make_user()
    api_client.force_authenticate(user)
    response = api_client.post("/api/studies/", {"patient_pseudo_id": "PX-001", "date": "2026-11-20",
                                                 "indication": "surveillance"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["patient_pseudo_id"] == "PX-001" and body["status"] == "open" and body["owner"] == user.username
    assert Study.objects.get(pk=body["id"]).owner == user


def test_a_pseudonym_that_looks_like_a_name_is_refused(api_client):
    api_client.force_authenticate(make_user())
    response = api_client.post("/api/studies/", {"patient_pseudo_id": "Jane Doe", "date": "2026-11-20"}, format="json")
    assert response.status_code == 400 and "patient_pseudo_id" in response.json()
    assert not Patient.objects.exists()


def test_annotators_cannot_create_studies(api_client):
    api_client.force_authenticate(make_user(Role.ANNOTATOR))
    response = api_client.post("/api/studies/", {"patient_pseudo_id": "P1", "date": "2026-11-20"}, format="json")
    assert response.status_code == 403


def test_the_list_shows_own_and_member_studies_paginated_admins_see_all(api_client):
    alice, bob, ann, admin = make_user(), make_user(), make_user(Role.ANNOTATOR), make_user(Role.ADMIN)
    mine, theirs = make_study(alice), make_study(bob)
    study_add_member(study=theirs, user=ann)
    api_client.force_authenticate(alice)
    body = api_client.get("/api/studies/").json()
    assert body["count"] == 1 and [s["id"] for s in body["results"]] == [mine.pk]
    api_client.force_authenticate(ann)
    assert [s["id"] for s in api_client.get("/api/studies/").json()["results"]] == [theirs.pk]
    api_client.force_authenticate(admin)
    assert api_client.get("/api/studies/").json()["count"] == 2


def test_another_users_study_is_404_and_unknown_ids_too(api_client):
    other = make_study(make_user())
    api_client.force_authenticate(make_user())
    assert api_client.get(f"/api/studies/{other.pk}/").status_code == 404
    assert api_client.get("/api/studies/999999/").status_code == 404


def test_unauthenticated_users_get_401(api_client):
    assert api_client.get("/api/studies/").status_code == 401
    assert api_client.post("/api/studies/", {}, format="json").status_code == 401
