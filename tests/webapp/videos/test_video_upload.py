from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.webapp.videos.factories import upload_file, video_bytes
from webapp.audit.models import Action, AuditEntry
from webapp.errors import InvalidUpload, UploadTooLarge
from webapp.videos.models import Video, VideoStatus
from webapp.videos.services import clean_filename, video_upload

pytestmark = pytest.mark.django_db


def _media_files(media_root: Path) -> list[Path]:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def test_it_stores_a_valid_video_and_queues_it_after_commit(tmp_path, study, owner, media_root,
                                                           django_capture_on_commit_callbacks):
    data = video_bytes(tmp_path, frames=12)
    with django_capture_on_commit_callbacks() as callbacks:
        video = video_upload(study=study, upload=upload_file(data, "../../etc/Clip.MP4"), user=owner)
    assert len(callbacks) == 1  # the task is sent only once the row is committed
    assert video.status == VideoStatus.QUEUED
    assert (video.frame_count, video.width, video.height, video.fps) == (12, 64, 48, 10.0)
    assert video.duration_s == pytest.approx(1.2)
    assert video.size_bytes == len(data)
    assert video.original_name == "Clip.MP4"
    stored = media_root / video.file.name
    assert stored.parent == media_root / "videos" and stored.suffix == ".mp4" and stored.read_bytes() == data
    assert AuditEntry.objects.filter(action=Action.VIDEO_UPLOAD, target_id=str(video.pk), actor=owner).exists()


@pytest.mark.parametrize(
    "payload,message",
    [
        (b"this is plainly a text file, not a video\n" * 50, "not an image or a video"),
        (b"", "empty"),
    ],
)
def test_it_rejects_non_video_files_and_leaves_nothing_behind(study, owner, media_root, payload, message):
    before = _media_files(media_root)
    with pytest.raises(InvalidUpload, match=message):
        video_upload(study=study, upload=upload_file(payload, "clip.mp4"), user=owner)
    assert not Video.objects.exists()
    assert _media_files(media_root) == before


def test_it_rejects_an_image_named_like_a_video(study, owner, media_root):
    png = cv2.imencode(".png", np.full((32, 32, 3), 128, np.uint8))[1].tobytes()
    with pytest.raises(InvalidUpload, match="an image"):
        video_upload(study=study, upload=upload_file(png, "clip.mp4"), user=owner)
    assert not Video.objects.exists()


def test_it_rejects_a_truncated_video_and_leaves_nothing_behind(tmp_path, study, owner, media_root):
    data = video_bytes(tmp_path, frames=20)
    before = _media_files(media_root)
    with pytest.raises(InvalidUpload):
        video_upload(study=study, upload=upload_file(data[: len(data) // 2]), user=owner)
    assert not Video.objects.exists()
    assert _media_files(media_root) == before


def test_it_rejects_an_oversized_file(tmp_path, study, owner, settings):
    data = video_bytes(tmp_path, frames=12)
    settings.UPLOAD_MAX_BYTES = len(data) - 1
    with pytest.raises(UploadTooLarge, match="limit"):
        video_upload(study=study, upload=upload_file(data), user=owner)
    assert not Video.objects.exists()


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\clip.mp4", "clip.mp4"),
        ("\u0065\u0301ndo\x00scopy\n.mp4", "\u00e9ndoscopy.mp4"),  # NFC, control characters dropped
        (".hidden.mp4", "hidden.mp4"),
        ("", "video"),
    ],
)
def test_client_file_names_are_reduced_to_a_safe_display_name(raw, clean):
    assert clean_filename(raw) == clean


def test_it_rejects_absurd_frame_dimensions(tmp_path, study, owner, media_root):
    before = _media_files(media_root)
    data = video_bytes(tmp_path, frames=5, size=(6, 6))
    with pytest.raises(InvalidUpload, match="too small") as error:
        video_upload(study=study, upload=upload_file(data), user=owner)
    assert str(media_root) not in error.value.message  # the temporary path is not shown to the user
    assert not Video.objects.exists()
    assert _media_files(media_root) == before


def test_the_same_file_twice_in_a_study_is_refused_naming_the_first(tmp_path, study, owner, api_client):
    api_client.force_authenticate(owner)
    data = video_bytes(tmp_path, 12)
    first = api_client.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(data, "a.mp4")},
                            format="multipart")
    assert first.status_code == 201
    again = api_client.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(data, "b.mp4")},
                            format="multipart")
    assert again.status_code == 409 and again.json()["code"] == "duplicate_video"
    assert f"video {first.json()['id']} (a.mp4" in again.json()["detail"]
    assert Video.objects.filter(study=study).count() == 1
    # A failed video of the same file may be uploaded again (its processing may have failed on our side).
    Video.objects.filter(pk=first.json()["id"]).update(status="failed")
    retry = api_client.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(data, "c.mp4")},
                            format="multipart")
    assert retry.status_code == 201
