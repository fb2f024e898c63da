"""Endpoints the review UI reads: the video file with HTTP Range, mask chunks, JPEG previews; deletion."""

import cv2
import numpy as np
import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.annotations.factories import make_event, square_rle
from tests.webapp.videos.factories import make_video
from webapp.accounts.models import Role
from webapp.annotations.models import MaskRevision, Verdict
from webapp.audit.models import Action, AuditEntry
from webapp.studies.services import study_add_member
from webapp.videos import pipeline, rle
from webapp.videos.models import FrameResult, PolypEvent, Video, VideoStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(api_client, owner):
    api_client.force_authenticate(owner)
    return api_client


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_video_file_is_served_whole_and_by_byte_range(client_of, done_video, media_root):
    data = (media_root / done_video.file.name).read_bytes()
    whole = client_of.get(f"/api/videos/{done_video.pk}/file/")
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and _body(whole) == data
    assert whole["Content-Type"] == "video/mp4"
    part = client_of.get(f"/api/videos/{done_video.pk}/file/", HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert _body(part) == data[100:200] and part["Content-Length"] == "100"
    tail = client_of.get(f"/api/videos/{done_video.pk}/file/", HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and _body(tail) == data[-10:]
    open_ended = client_of.get(f"/api/videos/{done_video.pk}/file/", HTTP_RANGE=f"bytes={len(data) - 5}-")
    assert _body(open_ended) == data[-5:]
    beyond = client_of.get(f"/api/videos/{done_video.pk}/file/", HTTP_RANGE=f"bytes={len(data)}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(data)}"


def test_mask_chunks_return_the_stored_rle_of_a_frame_range(client_of, done_video):
    body = client_of.get(f"/api/videos/{done_video.pk}/masks/?start=3&end=6").json()
    stored = dict(FrameResult.objects.filter(video=done_video, index__in=[3, 4, 5]).values_list("index", "mask_rle"))
    assert body == {"height": 48, "width": 64, "start": 3, "end": 6, "masks": {str(k): v for k, v in stored.items()}}
    assert client_of.get(f"/api/videos/{done_video.pk}/masks/?start=5&end=5").status_code == 400
    assert client_of.get(f"/api/videos/{done_video.pk}/masks/?start=-1&end=5").status_code == 400


def test_frame_previews_are_jpeg_and_scale_down_to_the_asked_width(client_of, done_video):
    response = client_of.get(f"/api/videos/{done_video.pk}/frames/2/image.jpg?width=32")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (24, 32, 3)
    full = cv2.imdecode(np.frombuffer(client_of.get(f"/api/videos/{done_video.pk}/frames/2/image.jpg").content,
                                      np.uint8), cv2.IMREAD_COLOR)
    assert full.shape == (48, 64, 3)
    assert client_of.get(f"/api/videos/{done_video.pk}/frames/99/image.jpg").status_code == 404


def test_admins_delete_a_video_with_everything_built_on_it_and_the_deletion_is_audited(
    api_client, done_video, owner, media_root, django_capture_on_commit_callbacks
):
    event = make_event(done_video, 1, 2)
    Verdict.objects.create(event=event, reviewer=owner, value="confirmed")
    text, _ = square_rle(48, 64)
    annotator = make_user(Role.ANNOTATOR)
    frame = {"video": done_video, "frame_index": 1, "author": annotator, "height": 48, "width": 64, "rle": text}
    MaskRevision.objects.create(**frame, based_on=MaskRevision.objects.create(**frame))
    path = media_root / done_video.file.name
    api_client.force_authenticate(owner)  # a gastroenterologist may not delete
    assert api_client.delete(f"/api/videos/{done_video.pk}/").status_code == 403
    admin = make_user(Role.ADMIN)
    api_client.force_authenticate(admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.delete(f"/api/videos/{done_video.pk}/").status_code == 204
    assert not Video.objects.filter(pk=done_video.pk).exists() and not MaskRevision.objects.exists()
    assert not path.exists()
    entry = AuditEntry.objects.get(action=Action.VIDEO_DELETE)
    assert entry.actor == admin and entry.detail["verdicts"] == 1 and entry.detail["revisions"] == 2
    assert entry.detail["frames"] == 12


def test_a_video_being_processed_cannot_be_deleted(tmp_path, api_client, study, owner):
    video = make_video(tmp_path, study, owner)
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PROCESSING)
    api_client.force_authenticate(make_user(Role.ADMIN))
    response = api_client.delete(f"/api/videos/{video.pk}/")
    assert response.status_code == 409 and "cancel it first" in response.json()["detail"]
    assert Video.objects.filter(pk=video.pk).exists()


def test_events_are_stored_while_the_video_is_still_processing(tmp_path, study, owner, monkeypatch):
    """At each progress tick the events found so far are in the database, before the video is done."""

    monkeypatch.setattr(pipeline, "PROGRESS_INTERVAL_S", 0.0)  # a tick after every batch
    seen: list[tuple[str, int]] = []
    real_store = pipeline._store_events

    def watching_store(video, events):
        real_store(video, events)
        seen.append((Video.objects.get(pk=video.pk).status, PolypEvent.objects.filter(video=video).count()))

    monkeypatch.setattr(pipeline, "_store_events", watching_store)
    video = make_video(tmp_path, study, owner, frames=24)
    pipeline.video_process(video_id=video.pk)
    during = [count for status, count in seen if status == VideoStatus.PROCESSING]
    assert any(during), seen  # an event was listed while processing
    assert Video.objects.get(pk=video.pk).status == VideoStatus.DONE


def test_the_model_mask_and_rle_chunk_agree(client_of, done_video):
    png = client_of.get(f"/api/videos/{done_video.pk}/frames/6/mask.png").content
    chunk = client_of.get(f"/api/videos/{done_video.pk}/masks/?start=6&end=7").json()
    from_png = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE) > 0
    assert np.array_equal(rle.decode(chunk["masks"]["6"], 48, 64), from_png)


def test_strangers_get_404_on_every_review_endpoint(api_client, done_video):
    api_client.force_authenticate(make_user(Role.GASTROENTEROLOGIST))
    for suffix in ["file/", "masks/?start=0&end=2", "frames/0/image.jpg"]:
        assert api_client.get(f"/api/videos/{done_video.pk}/{suffix}").status_code == 404, suffix
    study_add_member(study=done_video.study, user=api_client.handler._force_user)
    assert api_client.get(f"/api/videos/{done_video.pk}/file/").status_code == 200
