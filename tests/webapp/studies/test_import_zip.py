"""Kvasir-SEG zip import through POST /api/studies/import/ and `import_kvasir PATH.zip`; zip safety."""

import io
import json
import struct
import zipfile

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import kvasir_zip
from webapp.accounts.models import Role
from webapp.audit.models import Action, AuditEntry
from webapp.studies.models import Mask, MaskSource, StillImage, Study
from webapp.videos import rle

pytestmark = pytest.mark.django_db


def _post(api_client, path, **fields):
    with path.open("rb") as fh:
        return api_client.post("/api/studies/import/", {"file": fh, **fields}, format="multipart")


@pytest.fixture
def doctor(api_client):
    user = make_user()
    api_client.force_authenticate(user)
    return user


@pytest.fixture
def nothing_left(media_root):
    """Asserts after the test that no study, image, mask or media file was left behind."""
    for sub in ("images", "tmp"):
        (media_root / sub).mkdir(parents=True, exist_ok=True)
    before = {p for p in media_root.rglob("*") if p.is_file()}
    yield
    assert not Study.objects.exists() and not StillImage.objects.exists() and not Mask.objects.exists()
    assert {p for p in media_root.rglob("*") if p.is_file()} == before
    assert not any((media_root / "tmp").iterdir())  # no unpacked folder left either


def test_the_api_imports_a_kvasir_zip_with_ground_truth(api_client, doctor, tmp_path, media_root):
    bboxes = {"img0": {"height": 40, "width": 56, "bbox": [{"label": "polyp", "xmin": 1, "ymin": 2,
                                                              "xmax": 30, "ymax": 20}]}}
    masks = kvasir_zip(tmp_path / "kv.zip", root="Kvasir-SEG/",
                       extra={"Kvasir-SEG/kavsir_bboxes.json": json.dumps(bboxes).encode(), "__MACOSX/._x": b"\0"})
    response = _post(api_client, tmp_path / "kv.zip", date="2026-11-20")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["images"], body["ground_truth"], body["patient_pseudo_id"], body["date"]) == (
        3, 3, "KVASIR-kv", "2026-11-20")
    study = Study.objects.get(pk=body["id"])
    assert study.owner == doctor
    for still in StillImage.objects.filter(study=study):
        assert (still.width, still.height) == (56, 40) and (media_root / still.file.name).is_file()
        mask = Mask.objects.get(image=still)
        assert mask.source == MaskSource.GROUND_TRUTH
        assert np.array_equal(rle.decode(mask.rle, 40, 56), masks[still.original_name])
    entry = AuditEntry.objects.get(action=Action.STUDY_CREATE, target_id=str(study.pk))
    assert entry.detail == {"import": "kvasir", "source": "kv.zip", "images": 3, "ground_truth": 3, "bboxes": 1}


def test_the_command_imports_a_zip(tmp_path):
    kvasir_zip(tmp_path / "kvasir-seg.zip", n=2)
    make_user(username="doc")
    out = io.StringIO()
    call_command("import_kvasir", str(tmp_path / "kvasir-seg.zip"), owner="doc", stdout=out)
    assert "2 images, 2 with ground truth" in out.getvalue()
    assert Study.objects.get().patient.pseudo_id == "KVASIR-kvasir-seg"


def test_the_command_reports_a_bad_zip_and_imports_nothing(tmp_path, nothing_left):
    kvasir_zip(tmp_path / "kv.zip", extra={"../evil.jpg": b"x"})
    make_user(username="doc")
    with pytest.raises(CommandError, match="zip slip"):
        call_command("import_kvasir", str(tmp_path / "kv.zip"), owner="doc")


@pytest.mark.parametrize("name", ["../evil.jpg", "images/../../evil.jpg", "/etc/evil.jpg", "C:/evil.jpg",
                                  "images\\..\\..\\evil.jpg"])
def test_it_refuses_zip_slip(api_client, doctor, tmp_path, nothing_left, name):
    kvasir_zip(tmp_path / "kv.zip", extra={name: b"x"})
    response = _post(api_client, tmp_path / "kv.zip")
    assert response.status_code == 400
    assert "zip slip" in response.json()["detail"] and repr(name) in response.json()["detail"]


def test_it_refuses_a_zip_bomb_over_the_size_cap(api_client, doctor, tmp_path, nothing_left, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 10 * 1024 * 1024
    settings.IMPORT_MAX_RATIO = 10_000  # so that the cap, not the ratio, is what refuses it
    kvasir_zip(tmp_path / "kv.zip", extra={"images/bomb.jpg": bytes(50 * 1024 * 1024)})
    assert (tmp_path / "kv.zip").stat().st_size < 200 * 1024  # 50 MB of zeros deflate to ~50 KB
    response = _post(api_client, tmp_path / "kv.zip")
    assert response.status_code == 400
    assert "zip bomb" in response.json()["detail"] and str(10 * 1024 * 1024) in response.json()["detail"]


def test_it_refuses_a_zip_bomb_by_its_compression_ratio(api_client, doctor, tmp_path, nothing_left):
    kvasir_zip(tmp_path / "kv.zip", extra={"images/bomb.jpg": bytes(50 * 1024 * 1024)})
    response = _post(api_client, tmp_path / "kv.zip")
    assert response.status_code == 400
    assert "zip bomb" in response.json()["detail"] and "images/bomb.jpg" in response.json()["detail"]


def test_it_refuses_too_many_members(api_client, doctor, tmp_path, nothing_left, settings):
    settings.IMPORT_MAX_MEMBERS = 4
    kvasir_zip(tmp_path / "kv.zip", n=3)
    response = _post(api_client, tmp_path / "kv.zip")
    assert response.status_code == 400 and "6 members; the limit is 4" in response.json()["detail"]


def _understate_size(path, true_size: int, claimed: int) -> None:
    """Rewrite the only member's uncompressed size in its local header and central directory entry."""
    data = bytearray(path.read_bytes())
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    assert struct.unpack_from("<I", data, local + 22)[0] == true_size
    struct.pack_into("<I", data, local + 22, claimed)
    struct.pack_into("<I", data, central + 24, claimed)
    path.write_bytes(bytes(data))


def test_headers_that_understate_a_members_size_are_caught_while_unpacking(api_client, doctor, tmp_path,
                                                                             nothing_left):
    payload = bytes(2 * 1024 * 1024)
    with zipfile.ZipFile(tmp_path / "kv.zip", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("images/a.jpg", payload)
    _understate_size(tmp_path / "kv.zip", len(payload), 1000)  # passes the header checks; the CRC exposes it
    response = _post(api_client, tmp_path / "kv.zip")
    assert response.status_code == 400
    assert "images/a.jpg" in response.json()["detail"] and "corrupt" in response.json()["detail"]


def test_it_refuses_a_member_that_is_not_an_image_by_name(api_client, doctor, tmp_path, nothing_left):
    kvasir_zip(tmp_path / "kv.zip", extra={"images/notes.txt": b"hello"})
    response = _post(api_client, tmp_path / "kv.zip")
    assert response.status_code == 400
    assert "'images/notes.txt' is not an image" in response.json()["detail"]


def test_it_refuses_a_member_that_is_not_an_image_by_content(api_client, doctor, tmp_path, nothing_left):
    # After the three good images: the import has copied files and written rows, which must all go.
    kvasir_zip(tmp_path / "kv.zip", extra={"images/zz.jpg": b"not a jpeg at all"})
    response = _post(api_client, tmp_path / "kv.zip")
    assert response.status_code == 400
    assert response.json()["detail"] == "images/zz.jpg: not an image OpenCV can decode"


def test_it_refuses_a_file_that_is_not_a_zip(api_client, doctor, tmp_path, nothing_left):
    (tmp_path / "kv.zip").write_bytes(b"plain text")
    response = _post(api_client, tmp_path / "kv.zip")
    assert response.status_code == 400 and "not a valid zip" in response.json()["detail"]


def test_a_zip_without_images_folder_is_refused(api_client, doctor, tmp_path, nothing_left):
    with zipfile.ZipFile(tmp_path / "kv.zip", "w") as zf:
        zf.writestr("masks/a.png", b"x")
    response = _post(api_client, tmp_path / "kv.zip")
    assert response.status_code == 400 and "no images/ folder" in response.json()["detail"]


def test_a_malformed_bboxes_json_is_refused(api_client, doctor, tmp_path, nothing_left):
    kvasir_zip(tmp_path / "kv.zip", extra={"kavsir_bboxes.json": b"{not json"})
    response = _post(api_client, tmp_path / "kv.zip")
    assert response.status_code == 400 and "kavsir_bboxes.json: not valid JSON" in response.json()["detail"]


def test_an_upload_over_the_limit_is_413(api_client, doctor, tmp_path, nothing_left, settings):
    settings.UPLOAD_MAX_BYTES = 100
    kvasir_zip(tmp_path / "kv.zip")
    assert _post(api_client, tmp_path / "kv.zip").status_code == 413


def test_annotators_cannot_import_and_anonymous_users_get_401(api_client, tmp_path, nothing_left):
    kvasir_zip(tmp_path / "kv.zip")
    assert _post(api_client, tmp_path / "kv.zip").status_code == 401
    api_client.force_authenticate(make_user(Role.ANNOTATOR))
    assert _post(api_client, tmp_path / "kv.zip").status_code == 403
