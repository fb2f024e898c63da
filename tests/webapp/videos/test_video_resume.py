"""Resuming a cancelled video (POST /api/videos/{id}/resume/): queued again, it continues after its last stored
frame with the model version it started with; audited; refused on a closed study and unless cancelled."""

from __future__ import annotations

import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.videos.factories import make_video
from webapp.accounts.models import Role
from webapp.audit.models import AuditEntry
from webapp.studies.services import study_add_member, study_set_status
from webapp.videos import pipeline
from webapp.videos.models import FrameResult, Video, VideoStatus
from webapp.videos.pipeline import video_process
from webapp.videos.services import VIDEO_RESUME, video_cancel

pytestmark = pytest.mark.django_db


@pytest.fixture
def cancelled_after_one_batch(tmp_path, study, owner, monkeypatch):
    """A 12-frame video cancelled by its owner while the engine ran its first batch of 4 (the real cancel)."""
    video = make_video(tmp_path, study, owner, frames=12)
    real_engine_for = pipeline.engine_for

    def engine_that_cancels_after_one_batch(model_version):
        engine = real_engine_for(model_version)

        class Once:
            batch = engine.batch

            def predict_batch(self, frames, start_index=0):
                results = engine.predict_batch(frames, start_index)
                if start_index == 0:
                    video_cancel(video=Video.objects.get(pk=video.pk), user=owner)
                return results

        return Once()

    monkeypatch.setattr(pipeline, "engine_for", engine_that_cancels_after_one_batch)
    video_process(video_id=video.pk)
    monkeypatch.setattr(pipeline, "engine_for", real_engine_for)
    video.refresh_from_db()
    assert video.status == VideoStatus.CANCELLED
    return video


def test_a_resumed_video_continues_after_its_last_stored_frame(api_client, cancelled_after_one_batch, owner):
    video = cancelled_after_one_batch
    first = dict(FrameResult.objects.filter(video=video).values_list("index", "pk"))
    assert sorted(first) == [0, 1, 2, 3]
    api_client.force_authenticate(owner)
    response = api_client.post(f"/api/videos/{video.pk}/resume/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "queued" and response.json()["frames_done"] == 4
    entry = AuditEntry.objects.get(action=VIDEO_RESUME, target_id=str(video.pk))
    assert entry.actor == owner and entry.detail == {"from_frame": 4}

    video_process(video_id=video.pk)  # what the queued task runs
    video.refresh_from_db()
    assert video.status == VideoStatus.DONE and video.frames_done == 12 and video.finished_at is not None
    stored = dict(FrameResult.objects.filter(video=video).values_list("index", "pk"))
    assert sorted(stored) == list(range(12))
    assert {i: stored[i] for i in first} == first  # the first batch was kept, not computed again
    assert set(FrameResult.objects.filter(video=video).values_list("model_version", flat=True)) == {
        video.model_version_id}


def test_resume_is_refused_unless_cancelled_and_on_a_closed_study(api_client, cancelled_after_one_batch, owner,
                                                                  done_video):
    video = cancelled_after_one_batch
    annotator = make_user(Role.ANNOTATOR)
    study_add_member(study=video.study, user=annotator)  # sees the video: the refusal is about the role
    api_client.force_authenticate(annotator)
    assert api_client.post(f"/api/videos/{video.pk}/resume/").status_code == 403
    api_client.force_authenticate(make_user())  # a gastroenterologist who does not see the study
    assert api_client.post(f"/api/videos/{video.pk}/resume/").status_code == 404
    api_client.force_authenticate(None)
    assert api_client.post(f"/api/videos/{video.pk}/resume/").status_code == 401
    api_client.force_authenticate(owner)
    done = api_client.post(f"/api/videos/{done_video.pk}/resume/")
    assert done.status_code == 409 and "only a cancelled video" in done.json()["detail"]

    study_set_status(study=video.study, status="closed", user=owner)
    closed = api_client.post(f"/api/videos/{video.pk}/resume/")
    assert closed.status_code == 409 and closed.json()["code"] == "study_closed"
    assert Video.objects.get(pk=video.pk).status == VideoStatus.CANCELLED
    assert not AuditEntry.objects.filter(action=VIDEO_RESUME).exists()
    api_client.force_authenticate(make_user(Role.ADMIN))  # an admin too: reopen first
    assert api_client.post(f"/api/videos/{video.pk}/resume/").status_code == 409


def test_an_admin_resumes_anyones_cancelled_video(api_client, cancelled_after_one_batch):
    api_client.force_authenticate(make_user(Role.ADMIN))
    response = api_client.post(f"/api/videos/{cancelled_after_one_batch.pk}/resume/")
    assert response.status_code == 200 and response.json()["status"] == "queued"
