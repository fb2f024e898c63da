"""Resumable uploads over real HTTP, against the production web server (webapp.livebrowser.asgi_server: uvicorn with
the body guard): a part sent by an anonymous client or longer than any part is refused from its headers, before a
byte of it is read; a connection dropped in the middle of a part leaves no part behind, and the upload resumes and
completes into the video a single POST makes."""

from __future__ import annotations

import json
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
from rest_framework.authtoken.models import Token

from tests.webapp.db import wait_for_backends
from tests.webapp.transfers.factories import VIDEO_FIELDS, files, part_bytes
from tests.webapp.videos.factories import video_bytes
from webapp.transfers.plan import largest_part
from webapp.videos.models import Video

pytestmark = pytest.mark.django_db(transaction=True)

PART = 1024  # the server's UPLOAD_PART_BYTES: the 3.6 KB test video in four parts
HEADERS_ONLY_BODY = 48 * 1024 * 1024  # stated, never sent


@pytest.fixture
def server(tmp_path, owner, study):
    """(base URL, the owner's token) of a real server on the test database, with PART-byte parts."""
    from django.db import connection

    from webapp.livebrowser import asgi_server

    db = connection.settings_dict
    env = dict(os.environ, DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
               UPLOAD_PART_BYTES=str(PART))
    token = Token.objects.create(user=owner).key
    log = tmp_path / "server.log"
    try:
        with asgi_server(env, log) as base:
            yield base, token
    finally:
        print(log.read_text(errors="replace")[-3000:])
    wait_for_backends(1, timeout=10.0)


def headers_only(base: str, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict]:
    """Send a request's line and headers, stating a body that never comes; the answer arrives only if the server
    decided without reading the body (else it would wait for it until the 20 s timeout)."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    with socket.create_connection((host, port), timeout=20) as sock:
        head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall((head + "\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < _length(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line, _, body = answer.partition(b"\r\n\r\n")
    return int(status_line.split(b" ", 2)[1]), json.loads(body)


def _length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def test_part_bodies_anonymous_or_longer_than_any_part_are_refused_unread(server, tmp_path, study, settings):
    base, token = server
    data = video_bytes(tmp_path, frames=12)
    with httpx.Client(base_url=base, headers={"Authorization": f"Token {token}"}) as client:
        session = client.post(f"/api/studies/{study.pk}/uploads/", json={"filename": "clip.mp4", "size": len(data)})
    assert session.status_code == 201, session.text
    path = f"/api/uploads/{session.json()['id']}/parts/1/"

    status, body = headers_only(base, "PUT", path, {"Content-Length": str(HEADERS_ONLY_BODY)})
    assert (status, body["code"]) == (401, "not_authenticated")
    status, body = headers_only(base, "PUT", path, {"Content-Length": str(HEADERS_ONLY_BODY),
                                                     "Authorization": f"Token {token}"})
    assert (status, body["code"]) == (413, "request_too_large")
    assert largest_part(max_size=settings.UPLOAD_MAX_BYTES, preferred=PART) == PART  # every session's part size
    status, body = headers_only(base, "PUT", path, {"Content-Length": str(PART + 1), "Authorization": f"Token {token}"})
    assert (status, body["code"]) == (413, "request_too_large") and f"the limit here is {PART} bytes" in body["detail"]
    assert files(settings.MEDIA_ROOT / "tmp" / "uploads") == set()


def test_a_connection_dropped_mid_part_leaves_no_part_and_the_upload_resumes_to_the_same_video(
    server, tmp_path, owner, study, media_root
):
    base, token = server
    data = video_bytes(tmp_path, frames=12)
    auth = {"Authorization": f"Token {token}"}
    with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
        session = client.post(f"/api/studies/{study.pk}/uploads/", json={"filename": "clip.mp4",
                                                                         "size": len(data)}).json()
        assert session["part_count"] == 4

        # Part 2: the headers and half the bytes, then the connection drops.
        host, port = urlsplit(base).hostname, urlsplit(base).port
        with socket.create_connection((host, port), timeout=20) as sock:
            sock.sendall(f"PUT /api/uploads/{session['id']}/parts/2/ HTTP/1.1\r\nHost: {host}\r\n"
                         f"Authorization: Token {token}\r\nContent-Length: {PART}\r\n\r\n".encode())
            sock.sendall(part_bytes(data, session, 2)[:PART // 2])
        # Parts 1 and 3 side by side, as the browser sends a few at once.
        with ThreadPoolExecutor(2) as pool:
            sent = list(pool.map(lambda n: client.put(f"/api/uploads/{session['id']}/parts/{n}/",
                                                      content=part_bytes(data, session, n)), [1, 3]))
        assert [r.status_code for r in sent] == [200, 200], [r.text for r in sent]

        state = client.get(f"/api/uploads/{session['id']}/").json()
        assert [p["number"] for p in state["parts"]] == [1, 3] and state["missing"] == [2, 4]
        for n in state["missing"]:
            assert client.put(state["part_urls"][state["missing"].index(n)]["url"],
                              content=part_bytes(data, session, n)).status_code == 200
        completed = client.post(f"/api/uploads/{session['id']}/complete/")
        assert completed.status_code == 201, completed.text

        single = client.post(f"/api/studies/{study.pk}/videos/", files={"file": ("clip.mp4", data, "video/mp4")})
        assert (single.status_code, single.json()["code"]) == (409, "duplicate_video")  # the same file: the same sha256
    video = Video.objects.get(pk=completed.json()["id"])
    assert (media_root / video.file.name).read_bytes() == data
    assert (video.original_name, video.size_bytes, video.frame_count, video.width, video.height) == (
        "clip.mp4", len(data), 12, 64, 48)
    assert all(getattr(video, f) is not None for f in VIDEO_FIELDS)
    assert files(media_root / "tmp") == set()  # no part, no half part, no assembled file left
