"""The sweeper of forgotten uploads (Celery beat, transfers.expire_uploads): an open session past its expiry loses its
parts and becomes expired (audited, no actor); sessions still in time and finished ones are left alone."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from tests.webapp.transfers.factories import files, send, start, upload_in_parts
from tests.webapp.videos.factories import video_bytes
from webapp.audit.models import Action, AuditEntry
from webapp.transfers.models import UploadSession, UploadState
from webapp.transfers.tasks import expire_uploads

pytestmark = pytest.mark.django_db


def test_the_sweeper_removes_sessions_past_their_expiry_and_their_parts(
    tmp_path, api_client, owner, study, settings, media_root
):
    settings.UPLOAD_PART_BYTES = 1024
    uploads = media_root / "tmp" / "uploads"
    api_client.force_authenticate(owner)
    data = video_bytes(tmp_path, frames=12)
    in_time = start(api_client, study.pk, data, "in-time.mp4").json()
    send(api_client, in_time, data, [1])
    assert upload_in_parts(api_client, study.pk, video_bytes(tmp_path, frames=12, seed=1)).status_code == 201
    settings.UPLOAD_SESSION_TTL_H = 0  # this one expires as it starts
    forgotten = start(api_client, study.pk, data, "forgotten.mp4").json()
    send(api_client, forgotten, data, [1, 2])
    assert {p.parent.name for p in files(uploads)} == {str(in_time["id"]), str(forgotten["id"])}

    assert expire_uploads.apply().get() == [forgotten["id"]]
    assert {p.parent.name for p in files(uploads)} == {str(in_time["id"])}
    states = dict(UploadSession.objects.values_list("filename", "state"))
    assert states == {"in-time.mp4": UploadState.OPEN, "clip.mp4": UploadState.COMPLETED,
                      "forgotten.mp4": UploadState.EXPIRED}
    entry = AuditEntry.objects.get(action=Action.UPLOAD_ABORT)
    assert (entry.actor, entry.target_id, entry.detail["reason"]) == (None, str(forgotten["id"]), "expired")
    gone = api_client.get(f"/api/uploads/{forgotten['id']}/").json()
    assert (gone["state"], gone["parts"], gone["part_urls"]) == ("expired", [], [])
    assert api_client.post(f"/api/uploads/{forgotten['id']}/complete/").json()["code"] == "upload_closed"
    assert expire_uploads.apply().get() == []  # nothing twice


def test_beat_runs_the_sweeper_hourly_on_a_queue_a_worker_consumes():
    entry = next(e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "transfers.expire_uploads")
    assert entry["schedule"] == 3600.0
    assert django_settings.CELERY_TASK_ROUTES["transfers.expire_uploads"] == {"queue": "gpu"}
