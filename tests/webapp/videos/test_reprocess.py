"""Reprocessing a finished video with the active model: new results credited to the new version, verdicts and
corrections kept; and the event rewrite that carries verdicts over."""

from __future__ import annotations

import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.mlops.factories import correct_frames, write_tiny_checkpoint
from webapp.accounts.models import Role
from webapp.annotations.models import MaskRevision, Verdict, VerdictValue
from webapp.annotations.services import verdict_give
from webapp.audit.models import Action, AuditEntry
from webapp.mlops.services import model_version_promote, model_version_register
from webapp.videos.events import Event
from webapp.videos.models import FrameResult, PolypEvent, Video, VideoStatus
from webapp.videos.pipeline import _store_events, video_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def newer_model(tmp_path):
    return model_version_register(checkpoint_path=write_tiny_checkpoint(tmp_path / "newer.pt", version="newer"))


def test_a_reprocessed_video_keeps_its_verdicts_and_corrections(api_client, done_video, owner, newer_model):
    admin = make_user(Role.ADMIN)
    event = PolypEvent.objects.get(video=done_video)
    verdict = verdict_give(event=event, reviewer=owner, value=VerdictValue.FALSE_POSITIVE, note="bubble")
    revision = correct_frames(done_video, admin, [3])[0]
    old_version = done_video.model_version_id
    model_version_promote(version=newer_model, user=admin)

    api_client.force_authenticate(admin)
    response = api_client.post(f"/api/videos/{done_video.pk}/reprocess/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "queued" and response.json()["frames_done"] == 0
    assert not FrameResult.objects.filter(video=done_video).exists()
    video_process(video_id=done_video.pk)

    video = Video.objects.get(pk=done_video.pk)
    assert video.status == VideoStatus.DONE and video.model_version_id == newer_model.pk != old_version
    assert set(FrameResult.objects.filter(video=video).values_list("model_version", flat=True)) == {newer_model.pk}
    assert FrameResult.objects.filter(video=video).count() == 12
    kept = Verdict.objects.get(pk=verdict.pk)
    assert kept.event.video_id == video.pk and kept.note == "bubble" and kept.value == VerdictValue.FALSE_POSITIVE
    assert MaskRevision.objects.filter(pk=revision.pk).exists()
    entry = AuditEntry.objects.filter(action=Action.VIDEO_REPROCESS).get()
    assert entry.detail == {"previous_model": old_version, "model": newer_model.pk}


def test_reprocessing_is_refused_when_it_would_change_nothing_or_collide(api_client, done_video, owner):
    admin = make_user(Role.ADMIN)
    api_client.force_authenticate(owner)  # a gastroenterologist
    assert api_client.post(f"/api/videos/{done_video.pk}/reprocess/").status_code == 403
    api_client.force_authenticate(admin)
    same = api_client.post(f"/api/videos/{done_video.pk}/reprocess/")
    assert same.status_code == 409 and "active model" in same.json()["detail"]
    Video.objects.filter(pk=done_video.pk).update(status=VideoStatus.PROCESSING)
    busy = api_client.post(f"/api/videos/{done_video.pk}/reprocess/")
    assert busy.status_code == 409 and "processing" in busy.json()["detail"]


def test_new_events_take_over_the_verdicts_of_the_judged_events_they_overlap(done_video, owner):
    video = done_video
    _store_events(video, [Event(0, 2, 1, 0.9), Event(5, 6, 5, 0.8), Event(9, 10, 9, 0.7)])
    first, second, third = PolypEvent.objects.filter(video=video).order_by("start_index")
    v1 = verdict_give(event=first, reviewer=owner, value=VerdictValue.CONFIRMED)
    v2 = verdict_give(event=second, reviewer=owner, value=VerdictValue.FALSE_POSITIVE)
    v3 = verdict_give(event=third, reviewer=owner, value=VerdictValue.UNCERTAIN)
    # The new model merges the first two into one event, finds nothing where the third was, and a new one.
    _store_events(video, [Event(1, 6, 4, 0.95), Event(11, 11, 11, 0.6)])
    rows = list(PolypEvent.objects.filter(video=video).order_by("start_index"))
    assert [(e.start_index, e.end_index) for e in rows] == [(1, 6), (9, 10), (11, 11)]
    merged = rows[0]
    assert merged.pk in (first.pk, second.pk)
    assert set(Verdict.objects.filter(event=merged).values_list("pk", flat=True)) == {v1.pk, v2.pk}
    assert Verdict.objects.get(pk=v3.pk).event_id == third.pk == rows[1].pk  # kept as it was, judged
    assert not Verdict.objects.filter(event=rows[2]).exists()
