"""Media through the default storage: local disk, and an S3 bucket (moto's S3 server in this process, spoken to
over HTTP by django-storages and boto3 exactly as a real S3-compatible store would be)."""

from __future__ import annotations

import urllib.request
import uuid
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.files.storage import default_storage

from tests.webapp.accounts.factories import make_user
from tests.webapp.s3 import bucket_objects
from tests.webapp.studies.factories import kvasir_zip
from tests.webapp.videos.factories import upload_file, video_bytes
from webapp import media
from webapp.accounts.models import Role
from webapp.settings import storages_for
from webapp.studies.models import StillImage
from webapp.videos import services
from webapp.videos.models import FrameResult, Video, VideoStatus
from webapp.videos.pipeline import video_process
from webapp.videos.services import video_upload

pytestmark = pytest.mark.django_db


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def test_with_s3_a_video_is_uploaded_processed_and_served_from_the_bucket(
    bucket, tmp_path, api_client, owner, study, media_root, settings, django_capture_on_commit_callbacks
):
    client, name = bucket
    on_disk = _files(media_root)
    data = video_bytes(tmp_path, frames=12)
    api_client.force_authenticate(owner)

    response = api_client.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(data)}, format="multipart")
    assert response.status_code == 201, response.content
    video = Video.objects.get(pk=response.json()["id"])
    assert bucket_objects(client, name) == {video.file.name: data}  # the bytes as uploaded, under the stored name

    video_process(video_id=video.pk)
    video.refresh_from_db()
    assert video.status == VideoStatus.DONE and FrameResult.objects.filter(video=video).count() == 12

    png = api_client.get(f"/api/videos/{video.pk}/frames/5/image.png")
    assert png.status_code == 200
    frame = cv2.imdecode(np.frombuffer(png.content, np.uint8), cv2.IMREAD_COLOR)
    assert frame.shape == (48, 64, 3)

    # The file endpoint redirects to a presigned URL; the store answers byte ranges itself.
    redirect = api_client.get(f"/api/videos/{video.pk}/file/")
    assert redirect.status_code == 302 and redirect["Location"].startswith(f"{client.meta.endpoint_url}/{name}/")
    with urllib.request.urlopen(urllib.request.Request(redirect["Location"], headers={"Range": "bytes=4-99"})) as r:
        assert r.status == 206 and r.read() == data[4:100]

    # Nothing under MEDIA_ROOT; the scratch file and the download for processing are gone.
    assert _files(media_root) == on_disk
    assert _files(Path(settings.FILE_UPLOAD_TEMP_DIR)) == set()

    api_client.force_authenticate(make_user(Role.ADMIN))
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.delete(f"/api/videos/{video.pk}/").status_code == 204
    assert bucket_objects(client, name) == {}


def test_with_s3_an_upload_that_fails_after_storing_leaves_no_object(bucket, tmp_path, study, owner, monkeypatch):
    client, name = bucket

    def audit_fails(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(services, "audit_record", audit_fails)  # fails inside the transaction, after the upload
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        video_upload(study=study, upload=upload_file(video_bytes(tmp_path)), user=owner)
    assert not Video.objects.exists() and bucket_objects(client, name) == {}


def test_with_s3_a_kvasir_import_stores_and_serves_the_images_from_the_bucket(
    bucket, tmp_path, api_client, owner, media_root, settings
):
    client, name = bucket
    on_disk = _files(media_root)
    kvasir_zip(tmp_path / "kv.zip")
    api_client.force_authenticate(owner)
    with (tmp_path / "kv.zip").open("rb") as fh:
        response = api_client.post("/api/studies/import/", {"file": fh}, format="multipart")
    assert response.status_code == 201, response.content
    stills = list(StillImage.objects.filter(study_id=response.json()["id"]))
    objects = bucket_objects(client, name)
    assert len(stills) == 3 and set(objects) == {s.file.name for s in stills}
    served = api_client.get(f"/api/images/{stills[0].pk}/image.png")
    assert served.status_code == 200 and b"".join(served.streaming_content) == objects[stills[0].file.name]
    export = api_client.get(f"/api/studies/{response.json()['id']}/export/", {"format": "kvasir"})
    assert export.status_code == 200  # the exporter reads the images through the storage
    assert _files(media_root) == on_disk and _files(Path(settings.FILE_UPLOAD_TEMP_DIR)) == set()


def test_local_copy_of_a_remote_file_is_a_download_removed_afterwards_even_on_errors(bucket, settings):
    client, name = bucket
    client.put_object(Bucket=name, Key="videos/clip.mp4", Body=b"video bytes")
    with media.local_copy("videos/clip.mp4") as path:
        assert path.read_bytes() == b"video bytes" and path.suffix == ".mp4"
        assert path.parent == Path(settings.FILE_UPLOAD_TEMP_DIR)
    assert not path.exists()
    with pytest.raises(ValueError), media.local_copy("videos/clip.mp4") as path:
        raise ValueError("decoding failed")
    assert not path.exists() and _files(Path(settings.FILE_UPLOAD_TEMP_DIR)) == set()


def test_local_copy_on_local_disk_is_the_stored_file_itself(tmp_path, media_root):
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"video bytes")
    stored = media.store(f"videos/{uuid.uuid4().hex}.mp4", source)
    with media.local_copy(stored) as path:
        assert path == media_root / stored and path.read_bytes() == b"video bytes"
    assert path.exists() and source.exists()  # a copy: the source is kept
    assert media.decoder_source(stored) == str(media_root / stored)
    default_storage.delete(stored)


def test_storing_a_scratch_file_on_local_disk_moves_it_into_place(media_root):
    scratch = media.scratch_dir()
    assert scratch == media_root / "tmp"  # the media's filesystem: a rename, not a copy
    source = scratch / "upload.part"
    source.write_bytes(b"video bytes")
    stored = media.store(f"videos/{uuid.uuid4().hex}.mp4", source, move=True)
    assert not source.exists() and (media_root / stored).read_bytes() == b"video bytes"
    media.discard(stored)
    assert not (media_root / stored).exists()


def test_without_a_bucket_media_stay_on_local_disk():
    assert storages_for(bucket="")["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    s3 = storages_for(bucket="b", endpoint_url="http://minio:9000")["default"]
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s3["OPTIONS"]["bucket_name"] == "b" and s3["OPTIONS"]["addressing_style"] == "path"
