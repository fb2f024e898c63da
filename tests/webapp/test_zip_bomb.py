"""A zip bomb of many small members (issue 11: 4,000 members of 1 MiB of zeros, a 4.57 MB zip, unpacked
4.19 GB to scratch in 20 s before the refusal, each member under the per-member ratio check's 1 MiB floor)
is refused from its headers, at once, with nothing written."""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path

import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from webapp.studies.models import Mask, StillImage, Study

MEMBERS = 4000
MEMBER_BYTES = 1024 * 1024  # at the per-member check's floor (RATIO_CHECK_MIN_BYTES), so that check passes it


def write_bomb(path: Path, members: int = MEMBERS, size: int = MEMBER_BYTES, root: str = "Kvasir-SEG/") -> None:
    """A zip of `members` images/<n>.png of `size` zero bytes each, written by hand: one deflate stream reused
    (deflating 4 GB of zeros with zipfile would take the test a minute). Valid: zipfile reads it back."""
    raw = bytes(size)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = packer.compress(raw) + packer.flush()
    crc = zlib.crc32(raw)
    central, offset = [], 0
    with path.open("wb") as out:
        for n in range(members):
            name = f"{root}images/{n:05d}.png".encode()
            local = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0)
            out.write(local + name + data)
            central.append(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), size,
                                       len(name), 0, 0, 0, 0, 0, offset) + name)
            offset += len(local) + len(name) + len(data)
        directory = b"".join(central)
        out.write(directory)
        out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, members, members, len(directory), offset, 0))


@pytest.fixture
def bomb(tmp_path) -> Path:
    path = tmp_path / "bomb.zip"
    write_bomb(path)
    return path


def _scratch_and_media(media_root: Path) -> set[Path]:
    return {p for p in media_root.rglob("*") if p.is_file()}


@pytest.mark.django_db
def test_a_zip_bomb_of_many_small_members_is_refused_at_once_by_the_import(api_client, bomb, media_root):
    import zipfile

    with zipfile.ZipFile(bomb) as zf:  # what it is: a valid zip that unpacks to 4.19 GB
        infos = zf.infolist()
        assert len(infos) == MEMBERS and sum(i.file_size for i in infos) == MEMBERS * MEMBER_BYTES
        assert zf.read(infos[-1].filename) == bytes(MEMBER_BYTES)
    api_client.force_authenticate(make_user())
    before = _scratch_and_media(media_root)
    started = time.monotonic()
    with bomb.open("rb") as fh:
        response = api_client.post("/api/studies/import/", {"file": fh}, format="multipart")
    elapsed = time.monotonic() - started
    print(f"\n{bomb.stat().st_size} byte zip of {MEMBERS} members ({MEMBERS * MEMBER_BYTES} bytes unpacked): "
          f"{response.status_code} in {elapsed:.2f} s: {response.json()['detail']}")
    assert response.status_code == 400 and response.json()["code"] == "invalid_upload"
    detail = response.json()["detail"]
    assert "zip bomb" in detail and f"{MEMBERS} files" in detail and str(MEMBERS * MEMBER_BYTES) in detail
    assert "for the whole archive" in detail
    assert elapsed < 3  # the headers alone: was 20 s of unpacking 4.19 GB
    assert not Study.objects.exists() and not StillImage.objects.exists() and not Mask.objects.exists()
    assert _scratch_and_media(media_root) == before


@pytest.mark.django_db
def test_a_zip_bomb_added_to_a_study_is_refused_naming_the_file(api_client, tmp_path, media_root):
    owner = make_user()
    study = make_study(owner)
    write_bomb(tmp_path / "more.zip", members=500)  # 524 MB of zeros from 0.6 MB
    api_client.force_authenticate(owner)
    before = _scratch_and_media(media_root)
    started = time.monotonic()
    with (tmp_path / "more.zip").open("rb") as fh:
        response = api_client.post(f"/api/studies/{study.pk}/images/", {"files": [fh]}, format="multipart")
    assert time.monotonic() - started < 3
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith("more.zip: zip bomb suspected: the archive's 500 files")
    assert not StillImage.objects.exists() and _scratch_and_media(media_root) == before


@pytest.mark.django_db
def test_a_zip_of_ordinary_images_is_not_taken_for_a_bomb(api_client, tmp_path):
    from tests.webapp.studies.factories import kvasir_zip

    kvasir_zip(tmp_path / "kv.zip", n=3, extra={"kavsir_bboxes.json": b"{}" + b" " * 4096})
    api_client.force_authenticate(make_user())
    with (tmp_path / "kv.zip").open("rb") as fh:
        response = api_client.post("/api/studies/import/", {"file": fh}, format="multipart")
    assert response.status_code == 201, response.content
