"""A closed study is signed off: verdicts, corrections, uploads and reprocessing are refused (409 study_closed)
until an admin reopens it (audited); a gastroenterologist may close but not reopen."""

from __future__ import annotations

import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.mlops.factories import disc_mask
from tests.webapp.videos.factories import upload_file, video_bytes
from webapp.accounts.models import Role
from webapp.annotations.models import MaskRevision, Verdict
from webapp.audit.models import Action, AuditEntry
from webapp.studies.models import StudyStatus
from webapp.videos import rle
from webapp.videos.models import PolypEvent, Video

pytestmark = pytest.mark.django_db


def test_a_closed_study_refuses_every_change_until_an_admin_reopens_it(api_client, tmp_path, done_video, owner):
    study_id = done_video.study_id
    event = PolypEvent.objects.filter(video=done_video).first()
    mask = rle.encode(disc_mask(done_video.height, done_video.width, 0.5, 0.5, 0.2))
    api_client.force_authenticate(owner)  # the gastroenterologist who owns it
    assert api_client.patch(f"/api/studies/{study_id}/", {"status": "closed"}, format="json").status_code == 200

    verdict = api_client.post(f"/api/events/{event.pk}/verdicts/", {"value": "confirmed"}, format="json")
    assert verdict.status_code == 409 and verdict.json()["code"] == "study_closed"
    assert "closed" in verdict.json()["detail"]
    upload = api_client.post(f"/api/studies/{study_id}/videos/", {"file": upload_file(video_bytes(tmp_path, 12))},
                             format="multipart")
    assert upload.status_code == 409 and upload.json()["code"] == "study_closed"
    reopen = api_client.patch(f"/api/studies/{study_id}/", {"status": "open"}, format="json")
    assert reopen.status_code == 403

    admin = make_user(Role.ADMIN)
    api_client.force_authenticate(admin)
    revision = api_client.post(f"/api/videos/{done_video.pk}/frames/3/revisions/",
                               {"rle": mask, "based_on": None, "note": ""}, format="json")
    assert revision.status_code == 409 and revision.json()["code"] == "study_closed"
    assert api_client.post(f"/api/videos/{done_video.pk}/reprocess/").status_code == 409
    assert not Verdict.objects.exists() and not MaskRevision.objects.exists()
    assert Video.objects.filter(study_id=study_id).count() == 1

    assert api_client.patch(f"/api/studies/{study_id}/", {"status": "open"}, format="json").status_code == 200
    entry = AuditEntry.objects.filter(action=Action.STUDY_STATUS).first()
    assert entry.actor == admin and entry.detail == {"from": StudyStatus.CLOSED, "to": StudyStatus.OPEN}
    api_client.force_authenticate(owner)
    assert api_client.post(f"/api/events/{event.pk}/verdicts/", {"value": "confirmed"},
                           format="json").status_code == 201
