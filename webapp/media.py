"""Media files (videos, still images) through Django's default storage: local disk under MEDIA_ROOT, or an
S3-compatible bucket through django-storages when S3_BUCKET is set (settings.storages_for).

Every read and write of media goes through here or through the storage API, never through a path built
from MEDIA_ROOT. Writes take a local file that is complete and checked (`store`); what needs a path on
disk (decoding a whole video) gets one from `local_copy`; reading a few frames opens `decoder_source`;
serving asks `local_path` whether there is one (else it redirects to a presigned URL).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024


def local_path(name: str) -> Path | None:
    """The stored file's path on this machine, or None when the storage is remote."""
    try:
        return Path(default_storage.path(name))
    except NotImplementedError:  # Storage.path: "This backend doesn't support absolute paths."
        return None


def scratch_dir() -> Path:
    """Where a file is prepared (spooled, unpacked, checked) before it is stored.

    On local disk: MEDIA_ROOT/tmp, the same filesystem as the media, so storing it is a rename. With a remote
    storage: the temporary folder of this machine (FILE_UPLOAD_TEMP_DIR or the system's), so nothing
    is written under MEDIA_ROOT.
    """
    folder = local_path("tmp") or Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class _MovableFile(File):
    """A scratch file handed to the storage: FileSystemStorage moves a file that has a temporary_file_path
    into place (os.rename on one filesystem) instead of copying it; remote storages read it."""

    def temporary_file_path(self) -> str:
        return self.file.name


def store(name: str, source: Path, *, move: bool = False) -> str:
    """Store the local file `source` as `name` (a new, unique name: a fresh UUID); return the stored name.

    move: the source is a scratch file that may be moved into place (on local disk) rather than copied.
    On any failure, whatever part of `name` was written is deleted again: a file is stored whole or not at
    all (S3 uploads are atomic anyway: an object appears only once its upload completes).
    """
    try:
        opened = source.open("rb")
        with _MovableFile(opened) if move else File(opened) as content:
            return default_storage.save(name, content)
    except BaseException:
        discard(name)
        raise


def discard(name: str) -> None:
    """Delete a stored file if it is there. Never raises: it runs while another error is being raised,
    or after a commit, where a failure must not hide or undo what happened (it is logged)."""
    try:
        default_storage.delete(name)
    except Exception:  # noqa: BLE001 - any storage error; the file is left behind, and said so
        log.exception("could not delete stored file %s", name)


def decoder_source(name: str) -> str:
    """What OpenCV opens to read a few frames of a stored video: the local file, or with a remote storage a
    presigned URL of the object. FFmpeg then fetches only the byte ranges it needs (HTTP Range); a
    local_copy would download the whole video for every frame asked for."""
    path = local_path(name)
    return str(path) if path is not None else default_storage.url(name)


@contextmanager
def local_copy(name: str) -> Iterator[Path]:
    """A path on this machine holding the stored file `name`, for readers that need one (OpenCV).

    On local disk: the stored file itself. With a remote storage: a download into this machine's temporary
    folder, removed when the block ends (also on errors). Read it, never write it.
    """
    path = local_path(name)
    if path is not None:
        yield path
        return
    fd, tmp = tempfile.mkstemp(suffix=PurePosixPath(name).suffix, dir=settings.FILE_UPLOAD_TEMP_DIR)
    try:
        with os.fdopen(fd, "wb") as out, default_storage.open(name, "rb") as src:
            obj = getattr(src, "obj", None)
            if obj is not None:  # django-storages' S3File: stream the object straight into our file
                obj.download_fileobj(out)  # (reading S3File itself first downloads it all into a spool)
            else:
                shutil.copyfileobj(src, out, _CHUNK)
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)
