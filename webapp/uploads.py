"""Upload size limit while the request body streams in, not after it was all received.

`UploadLimitHandler` is the first of settings.FILE_UPLOAD_HANDLERS (before Django's memory and
temporary-file handlers), so it sees every multipart request first:

- before anything of the body is parsed, a Content-Length above UPLOAD_MAX_BYTES plus the multipart
  framing allowance is refused at once;
- while the file parts stream, it counts their bytes and stops the upload as soon as they pass
  UPLOAD_MAX_BYTES (a client can state a small Content-Length and send more), or pass the stated
  Content-Length itself (Django's memory handler keeps a part in memory when the stated length is
  small, so a lying length must not grow it). Django then closes (and so deletes) the temporary file
  the next handler had started and reads no further.

Either way the request ends in UploadTooLarge (413, code `upload_too_large`; a body longer than its
Content-Length in InvalidUpload, 400) through the one error mapping of webapp/errors.py. The services
check the size again, for callers that are not HTTP requests (management commands, the embedded demo).

What this cannot do: under daphne (and Django's ASGI handler) the server has received the whole body
before Django runs, so the limit saves the parsing, the second copy on disk and the processing, not the
network transfer; a reverse proxy in front (nginx `client_max_body_size`) refuses a body before it is
sent. Without a Content-Length (chunked encoding) Django parses no multipart body at all: the API
answers 400 for the missing file.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from webapp.errors import InvalidUpload, UploadTooLarge

# The multipart framing around the file: boundaries (up to 70 characters each, RFC 2046), each part's
# headers and the small form fields of the upload forms (patient pseudonym, date). Measured with Django's
# encoder: 134 bytes around a video named clip.mp4, 602 around an import with a 255-character file name and
# a 64-character pseudonym (non-ASCII names take up to 3 bytes a character). 64 KiB leaves room for
# clients that add headers to each part, and is nothing next to a video.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def _too_large(size: int | str) -> UploadTooLarge:
    return UploadTooLarge(f"the upload is {size} bytes; the limit is {settings.UPLOAD_MAX_BYTES} bytes")


class UploadLimitHandler(FileUploadHandler):
    """Refuses a multipart body above UPLOAD_MAX_BYTES (see the module docstring); passes chunks on."""

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self._body_length = 0  # the request's Content-Length
        self._received = 0  # file bytes of every part of this request so far
        self._refused: Exception | None = None

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None) -> None:
        if content_length > settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES:
            raise _too_large(content_length)  # nothing was read or written yet
        self._body_length = content_length
        return None  # the body is parsed by Django's parser, chunk by chunk

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self._received += len(raw_data)
        if self._received > settings.UPLOAD_MAX_BYTES:
            self._refused = _too_large(f"more than {settings.UPLOAD_MAX_BYTES}")
        elif self._received > self._body_length:
            self._refused = InvalidUpload("the request body is longer than its Content-Length")
        if self._refused is not None:
            # Django closes every handler's file (deleting the temporary one) and reads no further;
            # upload_complete then raises, so the view never sees a partial file.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the uploaded file

    def upload_complete(self) -> None:
        if self._refused is not None:
            raise self._refused
