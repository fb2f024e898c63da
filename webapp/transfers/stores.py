"""Where the parts of an upload wait: files on the app's disk, or the parts of an S3 multipart upload in the bucket.

One interface for both (PartStore), so the services and the API speak one protocol whatever the storage:
`held` asks the store itself which parts it has (S3 list_parts, the part files), `assemble` turns the parts into one
file on this machine (and, on S3, into the object under its final name), `discard` removes whatever there is.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import shutil
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from botocore.exceptions import ClientError
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage

from webapp import media
from webapp.errors import Conflict, InvalidUpload
from webapp.transfers.models import Backend, UploadSession
from webapp.transfers.plan import PartPlan

_CHUNK = 1024 * 1024  # copy and hash in 1 MiB pieces: memory stays flat whatever the file's size


@dataclass(frozen=True)
class PartUrl:
    number: int
    url: str
    size: int  # the exact length the part must have


class PartStore(Protocol):
    def held(self, session: UploadSession) -> dict[int, int]:
        """Part number -> bytes stored, as the store says."""

    def part_urls(self, session: UploadSession, plan: PartPlan, numbers: list[int]) -> list[PartUrl]:
        """Where the client PUTs each of these parts."""

    def assemble(self, session: UploadSession, plan: PartPlan, dest: Path) -> str:
        """The whole file at dest (a new file on this machine); returns its sha256. On S3 the object is also made
        (complete_multipart_upload) under session.stored_name. The parts are used up: on failure, discard()."""

    def discard(self, session: UploadSession) -> None:
        """Remove every part and anything assembled. Never raises for what is gone already."""


def backend_now() -> str:
    """The backend a new session gets: the media storage's."""
    if media.local_path("tmp") is not None:
        return Backend.LOCAL
    if hasattr(default_storage, "bucket_name"):
        return Backend.S3
    raise ImproperlyConfigured("resumable uploads need media on local disk or in an S3-compatible bucket")


def store_for(session: UploadSession) -> PartStore:
    return LocalParts() if session.backend == Backend.LOCAL else S3Parts()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- local disk -----------------------------------------------------------------------------------------------


class LocalParts:
    """Part n of session s is MEDIA_ROOT/tmp/uploads/<s>/<n:05d>.part, written whole or not at all (a temporary name,
    renamed once its length is right), so a part file that exists is a complete part."""

    @staticmethod
    def folder(session: UploadSession) -> Path:
        return media.scratch_dir() / "uploads" / str(session.pk)

    def _part(self, session: UploadSession, number: int) -> Path:
        return self.folder(session) / f"{number:05d}.part"

    def held(self, session: UploadSession) -> dict[int, int]:
        folder = self.folder(session)
        if not folder.is_dir():
            return {}
        return {int(p.stem): p.stat().st_size for p in folder.glob("*.part") if p.stem.isdigit()}

    def part_urls(self, session: UploadSession, plan: PartPlan, numbers: list[int]) -> list[PartUrl]:
        from django.urls import reverse

        return [PartUrl(n, reverse("upload-part", kwargs={"upload_id": session.pk, "number": n}), plan.part_bytes(n))
                for n in numbers]

    def write(self, session: UploadSession, number: int, expected: int, read: Callable[[int], bytes]) -> None:
        """Stream a part's bytes (read(n) -> up to n bytes, b"" at the end) into its file: exactly `expected` bytes,
        else InvalidUpload and nothing kept. A part sent again replaces the one before (the same bytes)."""
        folder = self.folder(session)
        folder.mkdir(parents=True, exist_ok=True)
        incoming = folder / f"{number:05d}.{uuid.uuid4().hex}.incoming"
        received = 0
        try:
            with incoming.open("wb") as out:
                while chunk := read(_CHUNK):
                    received += len(chunk)
                    if received > expected:
                        break
                    out.write(chunk)
            if received != expected:
                more = "more than " if received > expected else ""
                raise InvalidUpload(f"part {number} is {more}{received} bytes; it must be exactly {expected} bytes")
            try:
                os.replace(incoming, self._part(session, number))
            except FileNotFoundError as exc:  # the folder went: aborted or expired meanwhile
                raise Conflict(f"upload {session.pk} was closed while part {number} was sent") from exc
        finally:
            incoming.unlink(missing_ok=True)

    def assemble(self, session: UploadSession, plan: PartPlan, dest: Path) -> str:
        """Concatenate the parts into dest in 1 MiB pieces, hashing as it goes; each part is deleted once copied, so the
        disk holds the file about once, not twice."""
        digest = hashlib.sha256()
        with dest.open("wb") as out:
            for number in range(1, plan.count + 1):
                part = self._part(session, number)
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                part.unlink()
        shutil.rmtree(self.folder(session), ignore_errors=True)  # empty now (a part sent again meanwhile goes too)
        return digest.hexdigest()

    def discard(self, session: UploadSession) -> None:
        shutil.rmtree(self.folder(session), ignore_errors=True)


# --- S3 -------------------------------------------------------------------------------------------------------


class S3Parts:
    """One S3 multipart upload per session, straight to the video's final key (session.stored_name): the client PUTs
    each part to a presigned upload_part URL, so the bytes never pass through the app. Each URL signs the part's
    Content-Length: S3 refuses a part of another length. Through django-storages' own client (its endpoint,
    credentials, SigV4, addressing style)."""

    def __init__(self) -> None:
        self.storage = default_storage
        self.client = self.storage.connection.meta.client
        self.bucket = self.storage.bucket_name

    def key(self, name: str) -> str:
        from storages.utils import clean_name

        return self.storage._normalize_name(clean_name(name))  # the storage's LOCATION prefix, as it saves names

    def begin(self, stored_name: str) -> str:
        """Start the multipart upload; returns its id."""
        content_type = mimetypes.guess_type(stored_name)[0] or "application/octet-stream"
        answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.key(stored_name),
                                                     ContentType=content_type)
        return answer["UploadId"]

    def _parts(self, session: UploadSession) -> list[dict]:
        parts, marker = [], 0
        while True:
            page = self.client.list_parts(Bucket=self.bucket, Key=self.key(session.stored_name),
                                          UploadId=session.s3_upload_id, PartNumberMarker=marker, MaxParts=1000)
            parts += page.get("Parts", [])
            if not page.get("IsTruncated"):
                return parts
            marker = page["NextPartNumberMarker"]

    def held(self, session: UploadSession) -> dict[int, int]:
        try:
            return {p["PartNumber"]: p["Size"] for p in self._parts(session)}
        except ClientError as exc:
            if _code(exc) == "NoSuchUpload":  # aborted by the bucket (a lifecycle rule) or by us
                raise Conflict(f"the bucket no longer holds upload {session.pk}; start it again") from exc
            raise

    def part_urls(self, session: UploadSession, plan: PartPlan, numbers: list[int]) -> list[PartUrl]:
        key, expire = self.key(session.stored_name), self.storage.querystring_expire
        return [PartUrl(n, self.client.generate_presigned_url(
            "upload_part", Params={"Bucket": self.bucket, "Key": key, "UploadId": session.s3_upload_id,
                                   "PartNumber": n, "ContentLength": plan.part_bytes(n)},
            ExpiresIn=expire, HttpMethod="PUT"), plan.part_bytes(n)) for n in numbers]

    def assemble(self, session: UploadSession, plan: PartPlan, dest: Path) -> str:
        parts = sorted(self._parts(session), key=lambda p: p["PartNumber"])
        sizes = {p["PartNumber"]: p["Size"] for p in parts}
        if plan.missing(sizes) or len(parts) != plan.count:  # checked before; a part may have been sent again since
            raise InvalidUpload(f"the bucket holds parts {sorted(sizes)} of sizes that do not make the file")
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key(session.stored_name), UploadId=session.s3_upload_id,
            MultipartUpload={"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]})
        with media.local_copy(session.stored_name) as copy:  # a streamed download to this machine's disk
            shutil.move(copy, dest)  # (local_copy removes its path afterwards: moved away, there is nothing left)
        return _sha256(dest)

    def discard(self, session: UploadSession) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key(session.stored_name),
                                               UploadId=session.s3_upload_id)
        except ClientError as exc:
            if _code(exc) != "NoSuchUpload":  # completed (then the object is what remains) or aborted already
                raise
        media.discard(session.stored_name)  # the object, when the upload was completed and then refused


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


@contextmanager
def scratch_file(suffix: str):
    """A fresh path in the scratch folder (media.scratch_dir), removed afterwards whatever happens."""
    path = media.scratch_dir() / f"{uuid.uuid4().hex}{suffix}"
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
