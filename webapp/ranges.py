"""HTTP Range for files the browser streams (a <video> element seeks by asking for byte ranges).

Django's FileResponse always sends the whole file; a video element then cannot seek before the download
ends. One range per request (what browsers ask for); RFC 9110 section 14. For files on local disk
(webapp.media.local_path); with a remote storage the video endpoint redirects to the store, which answers
ranges itself.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.http import FileResponse, HttpRequest, HttpResponse

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# A seek reads this much at a time: large enough for a few seconds of video, small enough to start at once.
CHUNK_BYTES = 512 * 1024


class _Slice:
    """A file object that yields at most `length` bytes from `start`."""

    def __init__(self, path: Path, start: int, length: int) -> None:
        self._file = path.open("rb")
        self._file.seek(start)
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size < 0 else min(size, self._left)
        data = self._file.read(size)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._file.close()


def ranged_file_response(request: HttpRequest, path: Path, content_type: str) -> HttpResponse:
    size = path.stat().st_size
    header = request.headers.get("Range", "").strip()
    match = _RANGE.match(header) if header else None
    if header and match is None:  # several ranges, or not bytes: answer with the whole file (allowed)
        header = ""
    if not header:
        response = FileResponse(path.open("rb"), content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = match.group(1), match.group(2)  # type: ignore[union-attr]
    if first == "":  # "bytes=-N": the last N bytes
        start, end = max(size - int(last or 0), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    response = FileResponse(_Slice(path, start, end - start + 1), status=206, content_type=content_type)
    response.block_size = CHUNK_BYTES
    response["Content-Length"] = str(end - start + 1)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response
