"""Resumable uploads with media in an S3 bucket (moto's server, real HTTP): the parts go straight to the bucket
through presigned upload_part URLs (never through the app), complete makes the video a single POST makes, and any
refusal leaves neither an object nor an open multipart upload behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.webapp.studies.factories import make_study
from tests.webapp.transfers.conftest import bucket_objects, multipart_uploads
from tests.webapp.transfers.factories import VIDEO_FIELDS, files, noise_video, put_part, send, start, upload_in_parts
from tests.webapp.videos.factories import upload_file, video_bytes
from webapp.audit.models import Action, AuditEntry
from webapp.transfers.models import UploadSession, UploadState
from webapp.transfers.plan import S3_MIN_PART_BYTES
from webapp.transfers.services import upload_sessions_expire
from webapp.videos.models import Video

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    settings.UPLOAD_MAX_BYTES = 64 * 1024**2  # the noise video is 11 MB; the suite's limit is 5 MiB
    settings.UPLOAD_PART_BYTES = 1024  # asked for; S3 raises it to its 5 MiB minimum


@pytest.fixture
def big_video(tmp_path) -> bytes:
    data = noise_video(tmp_path / "noise.avi", frames=52)  # 52 frames of 640 x 480 noise: about 11 MB
    assert 2 * S3_MIN_PART_BYTES < len(data) < 3 * S3_MIN_PART_BYTES
    return data


def test_with_s3_the_parts_go_to_the_bucket_and_end_in_the_video_a_single_post_makes(
    bucket, big_video, api_client, owner, study, media_root, settings, django_capture_on_commit_callbacks
):
    client, name = bucket
    on_disk = files(media_root)
    api_client.force_authenticate(owner)
    session = start(api_client, study.pk, big_video, "procedure.avi").json()
    assert (session["backend"], session["part_size"], session["part_count"]) == ("s3", S3_MIN_PART_BYTES, 3)
    assert all(u["url"].startswith(f"{client.meta.endpoint_url}/{name}/videos/") for u in session["part_urls"])
    assert multipart_uploads(client, name) == [UploadSession.objects.get().stored_name]

    send(api_client, session, big_video, [1, 3])  # then the connection dropped
    resumed = api_client.get(f"/api/uploads/{session['id']}/").json()  # list_parts: what the bucket holds
    assert resumed["parts"] == [{"number": 1, "size": S3_MIN_PART_BYTES},
                                {"number": 3, "size": len(big_video) - 2 * S3_MIN_PART_BYTES}]
    assert resumed["missing"] == [2] and [u["number"] for u in resumed["part_urls"]] == [2]
    early = api_client.post(f"/api/uploads/{session['id']}/complete/")
    assert early.status_code == 409 and "parts 2 of 3 are missing" in early.json()["detail"]

    send(api_client, session, big_video, [2])
    with django_capture_on_commit_callbacks() as callbacks:
        completed = api_client.post(f"/api/uploads/{session['id']}/complete/")
    assert completed.status_code == 201, completed.content
    assert len(callbacks) == 1
    parted = Video.objects.get(pk=completed.json()["id"])
    assert parted.file.name == UploadSession.objects.get().stored_name  # made in place: no copy in the bucket

    single = api_client.post(f"/api/studies/{make_study(owner).pk}/videos/",
                             {"file": upload_file(big_video, "procedure.avi")}, format="multipart")
    assert single.status_code == 201, single.content
    posted = Video.objects.get(pk=single.json()["id"])
    assert {f: getattr(parted, f) for f in VIDEO_FIELDS} == {f: getattr(posted, f) for f in VIDEO_FIELDS}
    assert (parted.frame_count, parted.width, parted.height) == (52, 640, 480)
    assert bucket_objects(client, name) == {parted.file.name: big_video, posted.file.name: big_video}
    assert multipart_uploads(client, name) == []
    assert files(media_root) == on_disk  # nothing under MEDIA_ROOT
    assert files(Path(settings.FILE_UPLOAD_TEMP_DIR)) == set()  # the download for the checks is gone
    assert set(AuditEntry.objects.filter(target_type="transfers.uploadsession").values_list("action", flat=True)) \
        == {Action.UPLOAD_START, Action.UPLOAD_COMPLETE}


def test_with_s3_a_part_of_the_wrong_length_is_not_counted_as_held(bucket, big_video, api_client, owner, study):
    client, name = bucket
    api_client.force_authenticate(owner)
    session = start(api_client, study.pk, big_video, "procedure.avi").json()
    # A real S3 refuses it outright (the URL signs the part's Content-Length); a store that takes it anyway still
    # never has it counted: the part is missing until it comes whole.
    try:
        put_part(api_client, session, big_video, 1, body=b"\0" * (S3_MIN_PART_BYTES + 1))
    except OSError:
        pass  # refused by the store
    state = api_client.get(f"/api/uploads/{session['id']}/").json()
    assert state["parts"] == [] and 1 in state["missing"] and state["received_bytes"] == 0
    assert "content-length" in state["part_urls"][0]["url"].lower()  # X-Amz-SignedHeaders=content-length;host


@pytest.mark.parametrize("kind", ["not a video", "duplicate"])
def test_with_s3_a_refused_file_leaves_no_object_and_no_open_upload(
    bucket, tmp_path, api_client, owner, study, settings, kind
):
    client, name = bucket
    api_client.force_authenticate(owner)
    if kind == "duplicate":
        data = video_bytes(tmp_path, frames=12)
        first = api_client.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(data)}, format="multipart")
        assert first.status_code == 201
    else:
        data = b"plainly a text file, not a video\n" * 400
    before = bucket_objects(client, name)

    answer = upload_in_parts(api_client, study.pk, data, "clip.mp4")
    expected = (409, "duplicate_video") if kind == "duplicate" else (400, "invalid_upload")
    assert (answer.status_code, answer.json()["code"]) == expected, answer.content
    assert bucket_objects(client, name) == before and multipart_uploads(client, name) == []
    assert Video.objects.count() == (1 if kind == "duplicate" else 0)
    assert UploadSession.objects.get().state == UploadState.FAILED
    assert files(Path(settings.FILE_UPLOAD_TEMP_DIR)) == set()


def test_with_s3_abort_and_expiry_abort_the_multipart_upload(bucket, big_video, api_client, owner, study):
    client, name = bucket
    api_client.force_authenticate(owner)
    aborted = start(api_client, study.pk, big_video, "a.avi").json()
    forgotten = start(api_client, study.pk, big_video, "b.avi").json()
    send(api_client, aborted, big_video, [1])
    send(api_client, forgotten, big_video, [2])
    assert len(multipart_uploads(client, name)) == 2

    assert api_client.delete(f"/api/uploads/{aborted['id']}/").status_code == 204
    assert multipart_uploads(client, name) == [UploadSession.objects.get(pk=forgotten["id"]).stored_name]
    session = UploadSession.objects.get(pk=forgotten["id"])
    assert upload_sessions_expire(now=session.expires_at) == []  # not yet
    assert upload_sessions_expire(now=session.expires_at + (session.expires_at - session.created_at) / 100) == [
        session.pk]
    assert multipart_uploads(client, name) == [] and bucket_objects(client, name) == {}
    assert api_client.get(f"/api/uploads/{forgotten['id']}/").json()["state"] == "expired"
