"""Study members: an admin assigns gastroenterologists and annotators (PUT /api/studies/{id}/members/, or members
on POST /api/studies/); the people assigned see the study, nobody else does; every change is audited."""

from __future__ import annotations

import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from webapp.accounts.models import Role
from webapp.audit.models import AuditEntry
from webapp.studies.services import STUDY_MEMBERS

pytestmark = pytest.mark.django_db


def test_an_admin_assigns_people_and_they_see_the_study(api_client):
    admin, owner = make_user(Role.ADMIN), make_user()
    gi, ann, outsider = make_user(), make_user(Role.ANNOTATOR), make_user(Role.ANNOTATOR)
    study = make_study(owner)
    api_client.force_authenticate(ann)
    assert api_client.get(f"/api/studies/{study.pk}/").status_code == 404

    api_client.force_authenticate(admin)
    response = api_client.put(f"/api/studies/{study.pk}/members/", {"members": [ann.pk, gi.pk]}, format="json")
    assert response.status_code == 200, response.content
    assert [m["username"] for m in response.json()["members"]] == sorted([ann.username, gi.username])
    assert {m["role"] for m in response.json()["members"]} == {"annotator", "gastroenterologist"}

    for member in (ann, gi):
        api_client.force_authenticate(member)
        assert api_client.get(f"/api/studies/{study.pk}/").status_code == 200
        assert [s["id"] for s in api_client.get("/api/studies/").json()["results"]] == [study.pk]
        assert api_client.get(f"/api/studies/{study.pk}/images/").status_code == 200
    api_client.force_authenticate(outsider)
    assert api_client.get(f"/api/studies/{study.pk}/").status_code == 404
    # The reviewer filter counts members as the list's visibility does.
    api_client.force_authenticate(admin)
    assert [s["id"] for s in api_client.get(f"/api/studies/?reviewer={gi.pk}").json()["results"]] == [study.pk]

    entry = AuditEntry.objects.get(action=STUDY_MEMBERS, target_id=str(study.pk))
    assert entry.actor == admin
    assert entry.detail == {"added": sorted([ann.username, gi.username]), "removed": [],
                            "members": sorted([ann.username, gi.username])}


def test_removing_a_member_hides_the_study_again_and_is_audited(api_client):
    admin, owner, ann = make_user(Role.ADMIN), make_user(), make_user(Role.ANNOTATOR)
    study = make_study(owner)
    api_client.force_authenticate(admin)
    api_client.put(f"/api/studies/{study.pk}/members/", {"members": [ann.pk]}, format="json")
    assert api_client.put(f"/api/studies/{study.pk}/members/", {"members": []}, format="json").status_code == 200
    latest = AuditEntry.objects.filter(action=STUDY_MEMBERS).first()
    assert latest.detail == {"added": [], "removed": [ann.username], "members": []}
    # The same set again changes nothing and writes nothing.
    api_client.put(f"/api/studies/{study.pk}/members/", {"members": []}, format="json")
    assert AuditEntry.objects.filter(action=STUDY_MEMBERS).count() == 2
    api_client.force_authenticate(ann)
    assert api_client.get(f"/api/studies/{study.pk}/").status_code == 404
    # The owner still sees it: ownership is not membership.
    api_client.force_authenticate(owner)
    assert api_client.get(f"/api/studies/{study.pk}/").status_code == 200


def test_only_admins_assign_members(api_client):
    owner, ann = make_user(), make_user(Role.ANNOTATOR)
    study = make_study(owner)
    api_client.force_authenticate(owner)  # the gastroenterologist who owns it
    response = api_client.put(f"/api/studies/{study.pk}/members/", {"members": [ann.pk]}, format="json")
    assert response.status_code == 403
    assert not study.members.exists() and not AuditEntry.objects.filter(action=STUDY_MEMBERS).exists()
    api_client.force_authenticate(ann)
    assert api_client.put(f"/api/studies/{study.pk}/members/", {"members": [ann.pk]},
                          format="json").status_code in (403, 404)
    api_client.logout()
    api_client.force_authenticate(None)
    assert api_client.put(f"/api/studies/{study.pk}/members/", {"members": []}, format="json").status_code == 401


def test_admins_inactive_users_and_unknown_ids_are_refused_by_name(api_client):
    admin, owner = make_user(Role.ADMIN), make_user()
    other_admin, ann = make_user(Role.ADMIN), make_user(Role.ANNOTATOR)
    gone = make_user()
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    study = make_study(owner)
    api_client.force_authenticate(admin)
    for bad in (other_admin.pk, gone.pk, 999_999):
        response = api_client.put(f"/api/studies/{study.pk}/members/", {"members": [ann.pk, bad]}, format="json")
        assert response.status_code == 400 and str(bad) in response.json()["detail"]
    assert not study.members.exists()
    assert api_client.put(f"/api/studies/{study.pk}/members/", {"members": "x"}, format="json").status_code == 400


def test_a_new_study_is_visible_at_once_to_the_people_assigned_on_creation(api_client):
    admin, gi, ann = make_user(Role.ADMIN), make_user(), make_user(Role.ANNOTATOR)
    api_client.force_authenticate(admin)
    response = api_client.post("/api/studies/", {"patient_pseudo_id": "PX-9", "date": "2026-11-20",
                                                 "members": [gi.pk, ann.pk]}, format="json")
    assert response.status_code == 201, response.content
    study_id = response.json()["id"]
    assert len(response.json()["members"]) == 2
    for member in (gi, ann):
        api_client.force_authenticate(member)
        assert api_client.get(f"/api/studies/{study_id}/").status_code == 200
    # A gastroenterologist may create studies but not assign people: nothing is created.
    api_client.force_authenticate(gi)
    refused = api_client.post("/api/studies/", {"patient_pseudo_id": "PX-10", "date": "2026-11-20",
                                                "members": [ann.pk]}, format="json")
    assert refused.status_code == 403
    api_client.force_authenticate(admin)
    assert api_client.get("/api/studies/").json()["count"] == 1
