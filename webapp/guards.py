"""Request guards: refuse what would cost memory, disk or CPU (or crash a query) before the view runs.

`BodyLimitMiddleware` (ASGI, in front of Django in webapp.asgi) decides from the request line and headers
alone, before Django or any authentication runs:

- a body to an upload route (the video upload, the Kvasir-SEG import, the image upload, a part of a resumable
  upload) without credentials (no `Authorization` header and no session cookie) is answered 401 unread: nobody
  anonymous may upload;
- a stated Content-Length above the route's limit is answered 413 unread: uploads UPLOAD_MAX_BYTES plus the
  multipart framing (webapp.uploads.MULTIPART_OVERHEAD_BYTES), a part of a resumable upload the longest part
  (UPLOAD_PART_BYTES; the view then holds it to its session's exact part length), the login routes
  LOGIN_BODY_MAX_BYTES, every other route DATA_UPLOAD_MAX_MEMORY_SIZE (JSON bodies, 10 MB);
- a body without a Content-Length (chunked) is counted as Django reads it and answered 413 as soon as it
  passes the limit; Django is then told the client went away (it stops reading and answers nothing more).

`NulQueryMiddleware` (Django) answers 400 for a NUL character in the query string: PostgreSQL cannot hold one
in a text value, so any filter that reached a query with it raised a 500 (`/api/users/?role=%00`).

Every refusal is JSON `{"detail", "code"}` like the API's other errors (webapp/errors.py).

The web server (uvicorn, webapp/server.py) hands a body to the application chunk by chunk and Django spools it to
disk, so an accepted upload costs the web process a few MB whatever its size; large videos come in parts anyway
(webapp/transfers: each part at most UPLOAD_PART_BYTES, or straight to the bucket with S3). Refusing a body before it
is sent at all is the reverse proxy's job (nginx `client_max_body_size`). webapp/README.md "Request limits" has the
measurements. (Under daphne, Twisted parsed every form body whole in memory, ~12x its size, and daphne queued each
whole body in memory: the reason it was replaced.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from webapp.transfers.plan import largest_part

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The routes that take files: the only ones allowed bodies above the JSON limit, and only with credentials.
UPLOAD_ROUTES = re.compile(r"^/api/studies/(?:\d+/videos|\d+/images|import)/$")
# A part of a resumable upload to local disk (webapp/transfers): raw bytes, at most one part long.
UPLOAD_PART_ROUTES = re.compile(r"^/api/uploads/\d+/parts/\d+/$")
# The logins and the set-password page: anonymous by nature, so the limit is what protects them. Their
# bodies are a username and a password or an invite token (a few hundred bytes); 64 KiB leaves room.
LOGIN_ROUTES = re.compile(r"^/api/auth/(?:token|session|invite)/$")
LOGIN_BODY_MAX_BYTES = 64 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def body_limit(path: str) -> int:
    """The largest body the route takes, in bytes."""
    from webapp.uploads import MULTIPART_OVERHEAD_BYTES  # imports Django's upload handlers: not at import time

    if UPLOAD_ROUTES.match(path):
        return settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
    if UPLOAD_PART_ROUTES.match(path):
        return largest_part(max_size=settings.UPLOAD_MAX_BYTES, preferred=settings.UPLOAD_PART_BYTES)
    if LOGIN_ROUTES.match(path):
        return LOGIN_BODY_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _has_credentials(headers: dict[bytes, bytes]) -> bool:
    if headers.get(b"authorization", b"").strip():
        return True
    cookie = settings.SESSION_COOKIE_NAME.encode() + b"="
    return any(part.strip().startswith(cookie) for part in headers.get(b"cookie", b"").split(b";"))


async def _answer(send: Send, status: int, detail: str, code: str, extra: tuple = ()) -> None:
    body = json.dumps({"detail": detail, "code": code}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close"), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _too_large(size: int | str, limit: int) -> tuple[int, str, str]:
    return 413, f"the request body is {size} bytes; the limit here is {limit} bytes", "request_too_large"


class BodyLimitMiddleware:
    """Refuses anonymous uploads and oversized bodies before Django reads them (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        headers = {name.lower(): value for name, value in scope.get("headers", [])}
        limit = body_limit(path)
        if (UPLOAD_ROUTES.match(path) or UPLOAD_PART_ROUTES.match(path)) and not _has_credentials(headers):
            await _answer(send, 401, "Authentication credentials were not provided.", "not_authenticated",
                          ((b"www-authenticate", b'Token realm="api"'),))
            return
        stated = headers.get(b"content-length")
        if stated is not None:
            if not stated.strip().isdigit():
                await _answer(send, 400, "the Content-Length header is not a number", "bad_request")
                return
            if int(stated) > limit:
                await _answer(send, *_too_large(int(stated), limit))
                return
        received, refused, started = 0, False, False

        async def receive_counted() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _answer(send, *_too_large(f"more than {limit}", limit))
                    return {"type": "http.disconnect"}
            return message

        async def send_unless_answered(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the guard answered 413; the application's late answer has nowhere to go
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, receive_counted, send_unless_answered)


class NulQueryMiddleware:
    """Django middleware: 400 for a NUL character in the query string (a text value PostgreSQL refuses)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
            return JsonResponse({"detail": "the query string holds a NUL character (%00); remove it",
                                 "code": "invalid_query"}, status=400)
        return self.get_response(request)
