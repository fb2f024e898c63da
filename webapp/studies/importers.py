"""Import a Kvasir-SEG style folder or zip (images/, masks/ with the same stems, optionally a bboxes .json)
as a study with ground truth.

A zip is checked before anything is unpacked (member names, count, sizes, each member's and the whole
archive's compression ratio from its headers) and again while unpacking (headers can lie: the bytes actually
produced are counted against the same cap). It is unpacked into a temporary folder (under MEDIA_ROOT/tmp on
local disk, else the machine's temporary folder: webapp.media.scratch_dir), imported like a folder, and the
temporary folder is removed whatever happens. The images are stored through the default storage (local disk or
an S3 bucket).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import unicodedata
import uuid
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import cv2
from celery import signature
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from inference.errors import InputError
from inference.io import IMAGE_EXTS, read_image
from webapp import media
from webapp.accounts.models import User
from webapp.audit.services import audit_record
from webapp.errors import DomainError, InvalidUpload, UploadTooLarge
from webapp.studies.models import Mask, MaskSource, StillImage, Study
from webapp.studies.services import IMAGE_UPLOAD, study_create, study_lock_open
from webapp.videos import rle

# Kvasir-SEG masks are JPEGs: compression blurs the 0/255 edge, so a pixel is polyp above mid-grey.
MASK_THRESHOLD = 127
# The compression-ratio check only applies to members (and archives) above this size: a small member cannot
# unpack to much (a 1 KiB JSON of spaces compresses 100:1 harmlessly). Many small members can: 4,000 members of
# 1 MiB of zeros (a 4.57 MB zip) unpacked 4.19 GB, under the total cap, so the whole archive's ratio is checked
# too (Kvasir-SEG's JPEGs barely compress: its zip is about 1:1).
RATIO_CHECK_MIN_BYTES = 1024 * 1024
# Written by macOS's archiver beside every file; metadata, never part of the dataset.
_JUNK_PREFIXES = ("__MACOSX/",)
_JUNK_NAMES = (".DS_Store", "Thumbs.db")
_CHUNK = 1024 * 1024


def _pairs(folder: Path) -> list[tuple[Path, Path | None]]:
    images_dir, masks_dir = folder / "images", folder / "masks"
    if not images_dir.is_dir():
        raise DomainError(f"{folder}: no images/ folder (expected the Kvasir-SEG layout: images/, masks/)")
    masks = {p.stem: p for p in masks_dir.iterdir() if p.suffix.lower() in IMAGE_EXTS} if masks_dir.is_dir() else {}
    images = sorted(p for p in images_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS)
    if not images:
        raise DomainError(f"{images_dir}: holds no images ({', '.join(IMAGE_EXTS)})")
    return [(p, masks.get(p.stem)) for p in images]


def _check_bboxes(folder: Path, label: Callable[[Path], str]) -> int:
    """The optional bboxes .json (Kvasir-SEG's kavsir_bboxes.json) must parse as an object keyed by image id.

    It is not stored: boxes follow from the masks (the COCO export computes them), so a valid file adds
    nothing; a malformed one still means a damaged dataset and is refused. Returns how many entries it has.
    """
    entries = 0
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DomainError(f"{label(path)}: not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise DomainError(f"{label(path)}: expected a JSON object keyed by image id (Kvasir-SEG bboxes)")
        entries += len(data)
    return entries


# The worker's task (webapp/videos/tasks.py), named rather than imported: studies never import videos.
PREDICT_IMAGES_TASK = "videos.predict_images"


def predict_images_enqueue(*, image_ids: list[int]) -> None:
    """Queue the model's prediction of these still images. By name: a worker runs it (queue "gpu", routed in
    settings); where the task is registered, CELERY_TASK_ALWAYS_EAGER runs it in process as any task."""
    signature(PREDICT_IMAGES_TASK, kwargs={"image_ids": list(image_ids)}).delay()


def _add_pairs(study: Study, pairs: list[tuple[Path, Path | None]], label: Callable[[Path], str],
               stored: list[str]) -> list[int]:
    """Inside the caller's transaction: one StillImage per image of `pairs`, a ground-truth Mask where a mask is
    paired with it. Every stored file's name is appended to `stored` as it is written, so the caller can remove
    them if anything fails. Returns the new images' ids."""
    image_ids: list[int] = []
    for image_path, mask_path in pairs:
        try:
            image = read_image(image_path)
        except InputError as exc:
            raise InvalidUpload(str(exc).replace(str(image_path), label(image_path), 1)) from exc
        name = media.store(f"images/{uuid.uuid4().hex}{image_path.suffix.lower()}", image_path)
        stored.append(name)
        height, width = image.shape[:2]
        still = StillImage.objects.create(study=study, file=name, original_name=image_path.name,
                                          width=width, height=height)
        image_ids.append(still.pk)
        if mask_path is not None:
            mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
            if mask is None or mask.shape != (height, width):
                raise InvalidUpload(f"{label(mask_path)}: not a {width}x{height} mask image")
            gt = rle.encode(mask > MASK_THRESHOLD)
            Mask.objects.create(image=still, source=MaskSource.GROUND_TRUTH, rle=gt)
    if image_ids:
        transaction.on_commit(lambda: predict_images_enqueue(image_ids=image_ids))
    return image_ids


def study_import_kvasir(
    *,
    owner: User,
    folder: Path,
    patient_pseudo_id: str,
    date: dt.date | None = None,
    limit: int | None = None,
    source_name: str | None = None,
    label: Callable[[Path], str] = str,
) -> Study:
    """One study, one StillImage per image, a ground-truth Mask where masks/ has the same stem; once committed,
    the model's prediction of every image is queued (PREDICT_IMAGES_TASK), so the editor starts from one.

    All or nothing: on any bad file no row and no copied file remains. label turns a path into the name
    shown in error messages (a zip's member name rather than a temporary path).
    """
    folder = Path(folder)
    source_name = source_name or folder.name
    pairs = _pairs(folder)[:limit]
    bboxes = _check_bboxes(folder, label)
    stored: list[str] = []
    try:
        with transaction.atomic():
            detail = {"import": "kvasir", "source": source_name, "images": len(pairs),
                      "ground_truth": sum(m is not None for _, m in pairs), "bboxes": bboxes}
            study = study_create(owner=owner, patient_pseudo_id=patient_pseudo_id, date=date or dt.date.today(),
                                 indication=f"imported from {source_name}"[:255], audit_detail=detail)
            _add_pairs(study, pairs, label, stored)
    except BaseException:
        for name in stored:
            media.discard(name)
        raise
    return study


# --- zip ------------------------------------------------------------------------------------------


def _is_junk(name: str) -> bool:
    return name.startswith(_JUNK_PREFIXES) or PurePosixPath(name).name in _JUNK_NAMES or \
        PurePosixPath(name).name.startswith("._")


def _check_name(name: str) -> PurePosixPath:
    """A member name as a relative path, or InvalidUpload for absolute paths and `..` (zip slip)."""
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise InvalidUpload(f"zip member {name!r} has an absolute or Windows path; refused (zip slip)")
    path = PurePosixPath(name)
    if any(part == ".." for part in path.parts):
        raise InvalidUpload(f"zip member {name!r} climbs out of the archive with '..'; refused (zip slip)")
    return path


def _find_root(paths: list[PurePosixPath]) -> PurePosixPath:
    """The folder holding images/: the zip's top level or one folder below it (Kvasir-SEG ships Kvasir-SEG/)."""
    roots = {p.parent.parent for p in paths if p.parent.name == "images"}
    if not roots:
        raise InvalidUpload("the zip has no images/ folder (expected the Kvasir-SEG layout: images/, masks/)")
    if len(roots) > 1:
        raise InvalidUpload(f"the zip has several images/ folders ({', '.join(sorted(map(str, roots)))}); expected one")
    return roots.pop()


def _plan(archive: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Check every member from the headers; return (member, path below the root) for those to unpack."""
    members = archive.infolist()
    if len(members) > settings.IMPORT_MAX_MEMBERS:
        raise InvalidUpload(f"the zip has {len(members)} members; the limit is {settings.IMPORT_MAX_MEMBERS}")
    files: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    total = compressed = 0
    for info in members:
        path = _check_name(info.filename)
        if info.is_dir() or _is_junk(info.filename):
            continue
        if info.flag_bits & 0x1:
            raise InvalidUpload(f"zip member {info.filename!r} is encrypted; upload an unencrypted zip")
        total += info.file_size
        compressed += info.compress_size
        if total > settings.IMPORT_MAX_UNPACKED_BYTES:
            raise InvalidUpload(f"zip bomb suspected: the members unpack to more than "
                                f"{settings.IMPORT_MAX_UNPACKED_BYTES} bytes (the limit)")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_MIN_BYTES and ratio > settings.IMPORT_MAX_RATIO:
            raise InvalidUpload(f"zip bomb suspected: member {info.filename!r} compresses {ratio:.0f}:1 "
                                f"(the limit is {settings.IMPORT_MAX_RATIO}:1)")
        files.append((info, path))
    ratio = total / max(compressed, 1)
    if total > RATIO_CHECK_MIN_BYTES and ratio > settings.IMPORT_MAX_RATIO:
        raise InvalidUpload(f"zip bomb suspected: the archive's {len(files)} files unpack to {total} bytes from "
                            f"{compressed} ({ratio:.0f}:1; the limit is {settings.IMPORT_MAX_RATIO}:1 for the "
                            f"whole archive)")
    root = _find_root([p for _, p in files])
    planned: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    for info, path in files:
        if root not in path.parents:
            raise InvalidUpload(f"zip member {info.filename!r} is outside {root}/; "
                                f"a Kvasir-SEG zip holds images/, masks/ and optionally a bboxes .json")
        inner = path.relative_to(root)
        is_image = len(inner.parts) == 2 and inner.parts[0] in ("images", "masks") and \
            inner.suffix.lower() in IMAGE_EXTS
        is_bboxes = len(inner.parts) == 1 and inner.suffix.lower() == ".json"
        if not (is_image or is_bboxes):
            raise InvalidUpload(f"zip member {info.filename!r} is not an image ({', '.join(IMAGE_EXTS)}) in "
                                f"images/ or masks/, nor a bboxes .json")
        planned.append((info, inner))
    return planned


def _unpack(archive: zipfile.ZipFile, planned: list[tuple[zipfile.ZipInfo, PurePosixPath]], dest: Path) -> None:
    """Unpack, counting the bytes really produced against the cap (the headers may understate them)."""
    budget = settings.IMPORT_MAX_UNPACKED_BYTES
    for info, inner in planned:
        target = dest.joinpath(*inner.parts)
        if dest.resolve() not in target.resolve().parents:  # _check_name already refused this; belt and braces
            raise InvalidUpload(f"zip member {info.filename!r} resolves outside the archive; refused (zip slip)")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with archive.open(info) as src, target.open("wb") as out:
                while chunk := src.read(_CHUNK):
                    budget -= len(chunk)
                    if budget < 0:
                        raise InvalidUpload(f"zip bomb suspected: the members unpack to more than "
                                            f"{settings.IMPORT_MAX_UNPACKED_BYTES} bytes (the limit)")
                    out.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise InvalidUpload(f"zip member {info.filename!r} is corrupt ({exc})") from exc


def study_import_kvasir_zip(
    *, owner: User, archive: Path | BinaryIO, name: str, patient_pseudo_id: str, date: dt.date | None = None,
    limit: int | None = None,
) -> Study:
    """Import a Kvasir-SEG zip (a path or a seekable binary file). All or nothing, like the folder import."""
    try:
        with zipfile.ZipFile(archive) as zf, tempfile.TemporaryDirectory(dir=media.scratch_dir()) as tmp:
            planned = _plan(zf)
            _unpack(zf, planned, Path(tmp))
            root = Path(tmp)

            def label(path: Path) -> str:
                return path.relative_to(root).as_posix() if root in path.parents else str(path)

            return study_import_kvasir(owner=owner, folder=root, patient_pseudo_id=patient_pseudo_id, date=date,
                                       limit=limit, source_name=name, label=label)
    except zipfile.BadZipFile as exc:
        raise InvalidUpload(f"not a valid zip file ({exc})") from exc


def study_import_kvasir_upload(
    *, owner: User, upload: UploadedFile, patient_pseudo_id: str | None = None, date: dt.date | None = None
) -> Study:
    """The API's import: an uploaded zip, within UPLOAD_MAX_BYTES; the pseudonym defaults to KVASIR-<zip name>."""
    if upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
        raise UploadTooLarge(f"the file is {upload.size} bytes; the limit is {settings.UPLOAD_MAX_BYTES} bytes")
    if not upload.size:
        raise InvalidUpload("the file is empty")
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", PurePosixPath((upload.name or "").replace("\\", "/")).stem) or "upload"
    upload.seek(0)
    return study_import_kvasir_zip(owner=owner, archive=upload.file, name=f"{stem}.zip", date=date,
                                   patient_pseudo_id=patient_pseudo_id or f"KVASIR-{stem}"[:64])


# --- files added to a study -----------------------------------------------------------------------

# What a file starts with: the formats a study's images are accepted in (by content, never by extension).
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members; an empty one


def _display_name(name: str | None) -> str:
    """The client's file name as shown in messages and lists: no folders, no control characters, NFC."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return name[:200] or "image"


def _spool(upload: UploadedFile, dest: Path) -> None:
    upload.seek(0)
    with dest.open("wb") as out:
        for chunk in upload.chunks(_CHUNK):
            out.write(chunk)


def _unpack_upload(upload: UploadedFile, name: str, folder: Path) -> list[tuple[Path, Path | None]]:
    """A Kvasir-SEG zip's images and masks, unpacked under `folder` with the import's checks."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload.file) as zf:
            _unpack(zf, _plan(zf), folder)
    except zipfile.BadZipFile as exc:
        raise InvalidUpload(f"{name}: not a valid zip file ({exc})") from exc
    except InvalidUpload as exc:
        raise InvalidUpload(f"{name}: {exc.message}") from exc
    return _pairs(folder)


def study_images_add(*, study: Study, user: User, uploads: list[UploadedFile]) -> list[int]:
    """Add still images to a study: each upload a JPEG or PNG image, or a Kvasir-SEG zip (its images with their
    ground truth), checked as the import checks them. Once committed, the model's prediction of every new image
    is queued (PREDICT_IMAGES_TASK), as for an import. Returns the new images' ids.

    All or nothing: a bad file (named in the message) leaves no row and no stored file. A closed study refuses
    (409 study_closed). Audited as IMAGE_UPLOAD on the study with the counts and file names.
    """
    if not uploads:
        raise InvalidUpload("no file: choose one or more JPEG or PNG images, or a Kvasir-SEG zip")
    if len(uploads) > settings.IMPORT_MAX_MEMBERS:
        raise InvalidUpload(f"{len(uploads)} files; the limit is {settings.IMPORT_MAX_MEMBERS} a request")
    total = sum(upload.size or 0 for upload in uploads)
    if total > settings.UPLOAD_MAX_BYTES:
        raise UploadTooLarge(f"the files are {total} bytes; the limit is {settings.UPLOAD_MAX_BYTES} bytes")
    with transaction.atomic():  # before any work: a closed study refuses at once
        study_lock_open(study_id=study.pk)
    names: dict[Path, str] = {}  # a spooled or unpacked folder -> the name the user knows it by
    pairs: list[tuple[Path, Path | None]] = []
    with tempfile.TemporaryDirectory(dir=media.scratch_dir()) as tmp:
        for n, upload in enumerate(uploads):
            name = _display_name(upload.name)
            if not upload.size:
                raise InvalidUpload(f"{name}: the file is empty")
            upload.seek(0)
            head = upload.read(len(_PNG_MAGIC))
            folder = Path(tmp) / f"u{n}"
            folder.mkdir()
            if head.startswith(_ZIP_MAGICS):
                names[folder] = name
                found = _unpack_upload(upload, name, folder)
                _check_bboxes(folder, lambda path, name=name, folder=folder: f"{name}: {path.relative_to(folder)}")
                pairs.extend(found)
            elif head.startswith((_JPEG_MAGIC, _PNG_MAGIC)):
                ext = ".png" if head.startswith(_PNG_MAGIC) else ".jpg"
                stem = PurePosixPath(name).stem if PurePosixPath(name).suffix.lower() in IMAGE_EXTS else name
                path = folder / f"{stem}{ext}"
                _spool(upload, path)
                names[path] = name
                pairs.append((path, None))
            else:
                raise InvalidUpload(f"{name}: not a JPEG or PNG image, nor a Kvasir-SEG zip")

        def label(path: Path) -> str:
            if path in names:
                return names[path]
            folder = Path(tmp) / path.relative_to(tmp).parts[0]
            return f"{names.get(folder, folder.name)}: {path.relative_to(folder).as_posix()}"

        stored: list[str] = []
        try:
            with transaction.atomic():
                study_lock_open(study_id=study.pk)  # closed meanwhile?
                image_ids = _add_pairs(study, pairs, label, stored)
                audit_record(actor=user, action=IMAGE_UPLOAD, target=study, detail={
                    "images": len(image_ids), "ground_truth": sum(m is not None for _, m in pairs),
                    "files": [_display_name(u.name) for u in uploads][:100],
                })
        except BaseException:
            for stored_name in stored:
                media.discard(stored_name)
            raise
    return image_ids
