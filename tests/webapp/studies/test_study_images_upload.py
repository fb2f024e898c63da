"""Still images added to a study from the study page: POST /api/studies/{id}/images/ with one or more JPEG or PNG
files (or Kvasir-SEG zips), checked as the import checks them, all or nothing, predicted by the model once
committed, refused on a closed study."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import kvasir_zip
from webapp.accounts.models import Role
from webapp.audit.models import AuditEntry
from webapp.studies.models import Mask, MaskSource, StillImage
from webapp.studies.services import IMAGE_UPLOAD, study_add_member, study_set_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery():
    """Tasks run in process (the prediction queued on commit), as tests/webapp/videos/test_still_predictions.py."""
    import webapp.videos.tasks  # noqa: F401 - registers the task, as a worker's autodiscovery does
    from webapp.celery import app as celery_app

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def _image(name: str, ext: str = ".jpg", size: tuple[int, int] = (40, 56)) -> SimpleUploadedFile:
    pixels = np.random.default_rng(len(name)).integers(0, 255, (*size, 3), dtype=np.uint8)
    return SimpleUploadedFile(name, cv2.imencode(ext, pixels)[1].tobytes())


def _stored_files(media_root) -> list:
    folder = media_root / "images"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_jpeg_and_png_files_become_still_images_with_the_models_prediction(api_client, study, owner, eager_celery,
                                                                            django_capture_on_commit_callbacks):
    api_client.force_authenticate(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"/api/studies/{study.pk}/images/",
                                   {"files": [_image("a.jpg"), _image("b.png", ".png", (48, 64))]}, format="multipart")
    assert response.status_code == 201, response.content
    images = response.json()["images"]
    assert [(i["original_name"], i["width"], i["height"]) for i in images] == [("a.jpg", 56, 40), ("b.png", 64, 48)]
    stored = StillImage.objects.filter(study=study).order_by("id")
    assert [s.file.name.rsplit(".", 1)[1] for s in stored] == ["jpg", "png"]
    assert Mask.objects.filter(image__study=study, source=MaskSource.MODEL).count() == 2  # predicted on import
    listed = api_client.get(f"/api/studies/{study.pk}/images/").json()["results"]
    assert [i["id"] for i in listed] == [i["id"] for i in images]
    entry = AuditEntry.objects.get(action=IMAGE_UPLOAD, target_id=str(study.pk))
    assert entry.actor == owner and entry.detail == {"images": 2, "ground_truth": 0, "files": ["a.jpg", "b.png"]}


def test_a_kvasir_zip_adds_its_images_with_ground_truth_to_the_study(api_client, study, owner, tmp_path):
    kvasir_zip(tmp_path / "kv.zip", n=3)
    api_client.force_authenticate(owner)
    response = api_client.post(f"/api/studies/{study.pk}/images/", {
        "files": [SimpleUploadedFile("kv.zip", (tmp_path / "kv.zip").read_bytes()), _image("extra.jpg")]},
        format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()["images"]
    assert [i["has_ground_truth"] for i in body] == [True, True, True, False]
    assert StillImage.objects.filter(study=study).count() == 4


def test_one_bad_file_refuses_the_whole_upload_by_name_and_leaves_nothing(api_client, study, owner, media_root,
                                                                          tmp_path):
    api_client.force_authenticate(owner)
    before = _stored_files(media_root)
    corrupt = SimpleUploadedFile("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 40)  # a JPEG header, no image
    for bad, message in ((SimpleUploadedFile("notes.txt", b"hello"), "notes.txt: not a JPEG or PNG image"),
                         (corrupt, "broken.jpg"),
                         (SimpleUploadedFile("empty.png", b""), "empty.png: the file is empty")):
        response = api_client.post(f"/api/studies/{study.pk}/images/", {"files": [_image("good.jpg"), bad]},
                                   format="multipart")
        assert response.status_code == 400, response.content
        assert message in response.json()["detail"]
    slip = tmp_path / "slip.zip"
    kvasir_zip(slip, n=1, extra={"../evil.jpg": b"x"})
    response = api_client.post(f"/api/studies/{study.pk}/images/",
                               {"files": [_image("good.jpg"), SimpleUploadedFile("slip.zip", slip.read_bytes())]},
                               format="multipart")
    assert response.status_code == 400 and response.json()["detail"].startswith("slip.zip: ")
    assert "zip slip" in response.json()["detail"]
    assert api_client.post(f"/api/studies/{study.pk}/images/", {}, format="multipart").status_code == 400
    assert not StillImage.objects.exists() and not AuditEntry.objects.filter(action=IMAGE_UPLOAD).exists()
    assert _stored_files(media_root) == before


def test_roles_an_annotator_may_not_upload_an_admin_may_anonymous_is_401(api_client, study, owner):
    annotator = make_user(Role.ANNOTATOR)
    study_add_member(study=study, user=annotator)  # sees the study: the refusal is about the role
    api_client.force_authenticate(annotator)
    assert api_client.post(f"/api/studies/{study.pk}/images/", {"files": [_image("a.jpg")]},
                           format="multipart").status_code == 403
    api_client.force_authenticate(None)
    assert api_client.post(f"/api/studies/{study.pk}/images/", {"files": [_image("a.jpg")]},
                           format="multipart").status_code == 401
    api_client.force_authenticate(make_user(Role.GASTROENTEROLOGIST))  # not the owner, not assigned
    assert api_client.post(f"/api/studies/{study.pk}/images/", {"files": [_image("a.jpg")]},
                           format="multipart").status_code == 404
    assert not StillImage.objects.exists()
    api_client.force_authenticate(make_user(Role.ADMIN))
    assert api_client.post(f"/api/studies/{study.pk}/images/", {"files": [_image("a.jpg")]},
                           format="multipart").status_code == 201


def test_a_closed_study_refuses_images(api_client, study, owner):
    study_set_status(study=study, status="closed", user=owner)
    api_client.force_authenticate(owner)
    response = api_client.post(f"/api/studies/{study.pk}/images/", {"files": [_image("a.jpg")]}, format="multipart")
    assert response.status_code == 409 and response.json()["code"] == "study_closed"
    assert not StillImage.objects.exists()


def test_too_many_bytes_in_all_is_413(api_client, study, owner, settings):
    settings.UPLOAD_MAX_BYTES = 1500
    api_client.force_authenticate(owner)
    files = [_image("a.png", ".png"), _image("b.png", ".png")]  # random pixels: PNG does not compress them
    response = api_client.post(f"/api/studies/{study.pk}/images/", {"files": files}, format="multipart")
    assert response.status_code == 413
    assert not StillImage.objects.exists()
