import cv2
import numpy as np
import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.videos.factories import make_video, upload_file, video_bytes
from webapp.accounts.models import Role
from webapp.studies.services import study_add_member
from webapp.videos import rle
from webapp.videos.models import FrameResult, PolypEvent, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(api_client, owner):
    api_client.force_authenticate(owner)
    return api_client


def test_upload_returns_201_with_the_probed_video(tmp_path, client_of, study):
    response = client_of.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(video_bytes(tmp_path))},
                              format="multipart")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued" and body["frame_count"] == 12 and body["fps"] == 10.0 and body["frames_done"] == 0
    listing = client_of.get(f"/api/studies/{study.pk}/videos/").json()
    assert [v["id"] for v in listing["results"]] == [body["id"]]


def test_a_non_video_upload_gets_400_with_a_clear_message(client_of, study):
    response = client_of.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(b"%PDF-1.4 not a video" * 20)},
                              format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_upload" and "video" in response.json()["detail"]
    assert not Video.objects.exists()


def test_a_truncated_video_gets_400(tmp_path, client_of, study):
    data = video_bytes(tmp_path, frames=20)
    response = client_of.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(data[: len(data) * 2 // 3])},
                              format="multipart")
    assert response.status_code == 400 and not Video.objects.exists()


def test_an_oversized_upload_gets_413(tmp_path, client_of, study, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = client_of.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(video_bytes(tmp_path))},
                              format="multipart")
    assert response.status_code == 413 and "limit" in response.json()["detail"]


def test_a_missing_file_field_gets_400(client_of, study):
    assert client_of.post(f"/api/studies/{study.pk}/videos/", {}, format="multipart").status_code == 400


def test_uploading_to_another_users_study_gets_404(tmp_path, api_client, study):
    api_client.force_authenticate(make_user())
    response = api_client.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(video_bytes(tmp_path))},
                               format="multipart")
    assert response.status_code == 404 and not Video.objects.exists()


def test_annotators_read_member_studies_but_cannot_upload_or_cancel(tmp_path, api_client, study, done_video):
    annotator = make_user(Role.ANNOTATOR)
    study_add_member(study=study, user=annotator)
    api_client.force_authenticate(annotator)
    assert api_client.get(f"/api/videos/{done_video.pk}/").status_code == 200
    response = api_client.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(video_bytes(tmp_path))},
                               format="multipart")
    assert response.status_code == 403
    assert api_client.post(f"/api/videos/{done_video.pk}/cancel/").status_code == 403


def test_video_detail_reports_progress_and_model_version(client_of, done_video):
    body = client_of.get(f"/api/videos/{done_video.pk}/").json()
    assert body["status"] == "done" and body["frames_done"] == body["frame_count"] == 12
    assert body["model_version"] == "test-tiny" and body["error"] == ""


def test_the_timeline_holds_every_score_in_parallel_arrays(client_of, done_video):
    body = client_of.get(f"/api/videos/{done_video.pk}/timeline/").json()
    scores = list(FrameResult.objects.filter(video=done_video).order_by("index").values_list("score", flat=True))
    assert body["index"] == list(range(12))
    assert body["score"] == [round(s, 4) for s in scores]
    assert len(body["area"]) == len(body["flagged"]) == 12 and set(body["flagged"]) <= {0, 1}


def test_events_are_listed_in_frame_order(client_of, done_video):
    PolypEvent.objects.filter(video=done_video).delete()
    PolypEvent.objects.create(video=done_video, start_index=6, end_index=8, peak_index=7, peak_score=0.9,
                              start_s=0.6, end_s=0.9)
    PolypEvent.objects.create(video=done_video, start_index=1, end_index=2, peak_index=1, peak_score=0.7,
                              start_s=0.1, end_s=0.3)
    body = client_of.get(f"/api/videos/{done_video.pk}/events/").json()
    assert [(e["start_index"], e["end_index"], e["peak_index"]) for e in body] == [(1, 2, 1), (6, 8, 7)]


def test_frame_image_and_mask_are_pngs_at_the_video_size(client_of, done_video):
    image = client_of.get(f"/api/videos/{done_video.pk}/frames/5/image.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    frame = cv2.imdecode(np.frombuffer(image.content, np.uint8), cv2.IMREAD_COLOR)
    assert frame.shape == (48, 64, 3)
    mask_response = client_of.get(f"/api/videos/{done_video.pk}/frames/5/mask.png")
    mask = cv2.imdecode(np.frombuffer(mask_response.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    stored = FrameResult.objects.get(video=done_video, index=5)
    assert np.array_equal(mask > 0, rle.decode(stored.mask_rle, 48, 64)) and set(np.unique(mask)) <= {0, 255}


def test_frames_out_of_range_or_not_yet_processed_are_404(tmp_path, client_of, study, owner, done_video):
    assert client_of.get(f"/api/videos/{done_video.pk}/frames/12/image.png").status_code == 404
    queued = make_video(tmp_path, study, owner)
    assert client_of.get(f"/api/videos/{queued.pk}/frames/0/mask.png").status_code == 404


def test_cancel_stops_a_queued_video_once(tmp_path, client_of, study, owner):
    video = make_video(tmp_path, study, owner)
    response = client_of.post(f"/api/videos/{video.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = client_of.post(f"/api/videos/{video.pk}/cancel/")
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]


@pytest.mark.parametrize("suffix", ["", "timeline/", "events/", "frames/0/image.png", "frames/0/mask.png"])
def test_unknown_and_other_users_videos_are_404(tmp_path, api_client, study, owner, suffix):
    video = make_video(tmp_path, study, owner)
    api_client.force_authenticate(make_user())
    assert api_client.get(f"/api/videos/{video.pk}/{suffix}").status_code == 404
    assert api_client.get(f"/api/videos/999999/{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", ["", "timeline/", "events/", "frames/0/image.png", "frames/0/mask.png"])
def test_unauthenticated_requests_get_401(tmp_path, api_client, study, owner, suffix):
    video = make_video(tmp_path, study, owner)
    assert api_client.get(f"/api/videos/{video.pk}/{suffix}").status_code == 401


def test_the_openapi_schema_lists_the_endpoints(client_of):
    response = client_of.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/studies/", "/api/studies/{study_id}/videos/", "/api/videos/{video_id}/timeline/",
        "/api/videos/{video_id}/frames/{index}/mask.png", "/api/auth/token/", "/api/videos/{video_id}/cancel/",
    ]:
        assert path in paths


def test_the_schema_is_not_public(api_client):
    assert api_client.get("/api/schema/").status_code in (401, 403)
