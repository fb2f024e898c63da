"""UploadLimitHandler: an upload over UPLOAD_MAX_BYTES is refused from its Content-Length before the body is
read, or while it streams once its bytes pass the limit; 413 upload_too_large, no temporary file left."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from channels.testing import HttpCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from rest_framework.authtoken.models import Token

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from webapp.errors import InvalidUpload, UploadTooLarge
from webapp.studies.models import Study
from webapp.uploads import MULTIPART_OVERHEAD_BYTES, UploadLimitHandler
from webapp.videos.models import Video


class RecordingTemporaryFileHandler(TemporaryFileUploadHandler):
    """Django's temporary-file handler, noting the files it created and the bytes that reached it."""

    created: list[Path] = []
    bytes_seen = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        RecordingTemporaryFileHandler.created.append(Path(self.file.temporary_file_path()))

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        RecordingTemporaryFileHandler.bytes_seen += len(raw_data)
        return super().receive_data_chunk(raw_data, start)


@pytest.fixture
def upload_tmp(settings, tmp_path) -> Path:
    """Django's temporary upload folder for this test, and the handlers of settings with the recording one."""
    folder = tmp_path / "django-uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    settings.FILE_UPLOAD_HANDLERS = [
        "webapp.uploads.UploadLimitHandler",
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        f"{__name__}.RecordingTemporaryFileHandler",
    ]
    RecordingTemporaryFileHandler.created = []
    RecordingTemporaryFileHandler.bytes_seen = 0
    return folder


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


ENDPOINTS = ["videos", "import"]


def _post(api_client, study, endpoint: str, size: int):
    path = f"/api/studies/{study.pk}/videos/" if endpoint == "videos" else "/api/studies/import/"
    upload = SimpleUploadedFile("big.mp4" if endpoint == "videos" else "big.zip", b"\0" * size)
    return api_client.post(path, {"file": upload}, format="multipart")


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_content_length_over_the_limit_is_refused_before_the_body_is_read(
    api_client, owner, study, settings, media_root, upload_tmp, endpoint
):
    limit = settings.UPLOAD_MAX_BYTES  # 5 MiB in the tests
    before = _files(media_root)
    api_client.force_authenticate(owner)
    response = _post(api_client, study, endpoint, limit + MULTIPART_OVERHEAD_BYTES + 1)
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "upload_too_large"
    assert re.fullmatch(rf"the upload is \d+ bytes; the limit is {limit} bytes", body["detail"])
    # Refused from the header: no temporary file was ever opened, not one byte reached the next handler.
    assert RecordingTemporaryFileHandler.created == [] and RecordingTemporaryFileHandler.bytes_seen == 0
    assert _files(upload_tmp) == set() and _files(media_root) == before
    assert not Video.objects.exists() and Study.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_upload_passing_the_limit_while_it_streams_is_stopped_and_its_temporary_file_removed(
    api_client, owner, study, settings, media_root, upload_tmp, endpoint
):
    limit = settings.UPLOAD_MAX_BYTES
    before = _files(media_root)
    api_client.force_authenticate(owner)
    # Over the limit by less than the framing allowance: the Content-Length passes, the bytes do not.
    response = _post(api_client, study, endpoint, limit + 1000)
    assert response.status_code == 413
    assert response.json() == {"detail": f"the upload is more than {limit} bytes; the limit is {limit} bytes",
                               "code": "upload_too_large"}
    # It was being written to a temporary file (Django's handler after ours), stopped at the limit, and
    # that file is gone although the response (and so the request and its handlers) is still alive.
    assert len(RecordingTemporaryFileHandler.created) == 1
    assert 0 < RecordingTemporaryFileHandler.bytes_seen <= limit
    assert not RecordingTemporaryFileHandler.created[0].exists()
    assert _files(upload_tmp) == set() and _files(media_root) == before
    assert not Video.objects.exists() and Study.objects.count() == 1


@pytest.mark.django_db
def test_an_upload_of_exactly_the_limit_reaches_the_service(api_client, owner, study, settings, upload_tmp):
    api_client.force_authenticate(owner)
    response = _post(api_client, study, "videos", settings.UPLOAD_MAX_BYTES)
    # Through the handler whole (all of it reached the temporary file), then refused by content.
    assert RecordingTemporaryFileHandler.bytes_seen == settings.UPLOAD_MAX_BYTES
    assert response.status_code == 400 and response.json()["code"] == "invalid_upload"
    assert _files(upload_tmp) == set()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("async_db_connections")
def test_a_body_longer_than_its_stated_content_length_is_refused_over_asgi(tmp_path):
    # Under ASGI Django reads the body to its end whatever the header says, and Django's memory handler
    # keeps a file in memory when the stated length is small: the bytes must be counted against it.
    from webapp.asgi import application

    user = make_user()
    study = make_study(user)
    token = Token.objects.create(user=user).key
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("clip.mp4", b"\0" * 300_000)})
    headers = [(b"host", b"testserver"), (b"content-type", MULTIPART_CONTENT.encode()),
               (b"content-length", b"2000"), (b"authorization", f"Token {token}".encode())]

    async def post(headers: list[tuple[bytes, bytes]]) -> dict:
        communicator = HttpCommunicator(application, "POST", f"/api/studies/{study.pk}/videos/", body, headers)
        response = await communicator.get_response(timeout=30)
        await communicator.wait(timeout=30)  # Django closes the request (and its connection) after sending
        return response

    response = asyncio.run(post(headers))
    assert response["status"] == 400, response["body"]
    assert b"longer than its Content-Length" in response["body"] and b"invalid_upload" in response["body"]
    # Without any Content-Length (chunked encoding) Django parses no multipart body: no file, a plain 400.
    response = asyncio.run(post([h for h in headers if h[0] != b"content-length"]))
    assert response["status"] == 400 and b"No file was submitted" in response["body"], response["body"]
    assert not Video.objects.exists()


def test_the_handler_stops_at_the_limit_counting_every_file_of_the_request(settings):
    settings.UPLOAD_MAX_BYTES = 100
    handler = UploadLimitHandler()
    assert handler.handle_raw_input(None, {}, 10_000, b"b") is None
    assert handler.receive_data_chunk(b"x" * 60, 0) == b"x" * 60  # first file
    assert handler.upload_complete() is None  # nothing refused yet
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"y" * 60, 0)  # a second file: 120 bytes in all
    with pytest.raises(UploadTooLarge, match="the limit is 100 bytes"):
        handler.upload_complete()


def test_the_handler_refuses_a_body_longer_than_its_content_length(settings):
    settings.UPLOAD_MAX_BYTES = 10_000
    handler = UploadLimitHandler()
    handler.handle_raw_input(None, {}, 50, b"b")
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * 51, 0)
    with pytest.raises(InvalidUpload, match="Content-Length"):
        handler.upload_complete()


def test_a_content_length_within_the_framing_allowance_is_let_through(settings):
    handler = UploadLimitHandler()
    handler.handle_raw_input(None, {}, settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES, b"b")
    with pytest.raises(UploadTooLarge):
        UploadLimitHandler().handle_raw_input(None, {}, settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES + 1, b"b")
