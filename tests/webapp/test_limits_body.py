"""The body guard (webapp/guards.py) against the real web server (webapp/server.py: uvicorn): oversized and anonymous
bodies are refused unread, a chunked body is stopped at the limit, an upload that is let through streams to disk,
and the server's memory is measured (RSS from /proc) while it happens.

For comparison the same attacks go to the server serving Django alone, as before the guard
(tests/webapp/unguarded_asgi.py): the numbers of both are printed (`pytest -s`) and recorded in webapp/README.md.
LIMITS_BODY_MB sets the bodies' size (default 48), e.g. `LIMITS_BODY_MB=2048 pytest -s tests/webapp/test_limits_body.py`
for the issue's 2 GB upload.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Well over both limits (tests: UPLOAD_MAX_BYTES 5 MiB, JSON 10 MB).
BODY_BYTES = int(os.environ.get("LIMITS_BODY_MB", "48")) * 1024 * 1024
# What one request may add to the server's peak memory, whatever the body's size: uvicorn passes the body on in
# pieces and stops reading while Django has not taken the last one, and Django spools it to disk.
PEAK_GROWTH_MAX_MB = 40
_PIECE = b"\0" * (1024 * 1024)


def _memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (the peak so far) of the process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


def _request(port: int, path: str, headers: dict[str, str], body: Iterator[bytes]) -> tuple[int, dict, float]:
    """One raw HTTP/1.1 request: (status, JSON body or {}, seconds from the last byte sent to the answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        method = "POST" if headers else "GET"
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        sock.sendall(head.encode())
        try:
            for piece in body:
                sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the whole body was sent
        sent = time.monotonic()
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    elapsed = time.monotonic() - sent
    head_text, _, payload = answer.partition(b"\r\n\r\n")
    status = int(head_text.split(b" ", 2)[1])
    try:
        return status, json.loads(payload), elapsed
    except ValueError:
        return status, {"raw": payload[:200].decode(errors="replace")}, elapsed


def _fixed(size: int) -> Iterator[bytes]:
    for _ in range(size // len(_PIECE)):
        yield _PIECE


def _multipart(size: int) -> Iterator[bytes]:
    """A multipart upload of one `size`-byte file (zeros: not a video, so the service refuses it after parsing)."""
    yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="clip.mp4"\r\n' \
          b"Content-Type: video/mp4\r\n\r\n"
    yield from _fixed(size)
    yield b"\r\n--x--\r\n"


def _multipart_length(size: int) -> int:
    return sum(len(piece) for piece in _multipart(0)) + size


def _chunked(size: int) -> Iterator[bytes]:
    for _ in range(size // len(_PIECE)):
        yield b"%x\r\n" % len(_PIECE) + _PIECE + b"\r\n"
    yield b"0\r\n\r\n"


ATTACKS: dict = {
    # name: (path, headers, body)
    "anonymous upload, Content-Length": ("/api/studies/1/videos/",
                                         {"Content-Type": "multipart/form-data; boundary=x",
                                          "Content-Length": str(_multipart_length(BODY_BYTES))}, _multipart),
    "login, Content-Length": ("/api/auth/token/",
                              {"Content-Type": "application/json", "Content-Length": str(BODY_BYTES)}, _fixed),
    "JSON route, chunked": ("/api/studies/",
                            {"Content-Type": "application/json", "Transfer-Encoding": "chunked",
                             "Authorization": "Token not-a-real-token"}, _chunked),
}


@pytest.fixture
def server_env(transactional_db) -> dict[str, str]:
    """The servers' environment: the test database, and an upload limit above BODY_BYTES so that one upload is
    let through, parsed by Django and refused by the service (a body of zeros is not a video)."""
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from tests.webapp.accounts.factories import make_user
    from tests.webapp.studies.factories import make_study

    user = make_user()
    study = make_study(user)
    token = Token.objects.create(user=user).key
    ATTACKS["upload let through, parsed"] = (
        f"/api/studies/{study.pk}/videos/",
        {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(_multipart_length(BODY_BYTES)),
         "Authorization": f"Token {token}"}, _multipart)
    db = connection.settings_dict
    yield dict(os.environ, DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
               UPLOAD_MAX_BYTES=str(2 * BODY_BYTES))
    ATTACKS.pop("upload let through, parsed")


@contextmanager
def _server(app: str, env: dict[str, str], log_path: Path) -> Iterator[tuple[int, int]]:
    """The production server (webapp/server.py) serving `app` on a free port (as webapp.livebrowser.asgi_server,
    which serves only the guarded application); yields (port, pid)."""
    from webapp.livebrowser import ROOT, SERVER_START_TIMEOUT_S, free_port
    from webapp.server import command

    port = free_port()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command(port=port, app=app), cwd=ROOT,
                                env={**env, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while True:
                assert proc.poll() is None, log_path.read_text()
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.3)
            yield port, proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def _attack(app: str, env: dict[str, str], tmp_path: Path) -> dict[str, tuple[int, dict, float, dict]]:
    """Each attack on a fresh server, so that its peak is its own (memory a request freed is reused by the next)."""
    results = {}
    for n, (name, (path, headers, body)) in enumerate(ATTACKS.items()):
        with _server(app, env, tmp_path / f"server-{app.split(':')[0]}-{n}.log") as (port, pid):
            _request(port, "/healthz", {}, iter(()))  # Django loads its URLconf (every view module) on a first request
            before = _memory_mb(pid)
            status, answer, seconds = _request(port, path, headers, body(BODY_BYTES))
            time.sleep(0.5)  # let the server finish with the request
            after = _memory_mb(pid)
        results[name] = (status, answer, seconds, {"rss_before": before["VmRSS"], "rss_after": after["VmRSS"],
                                                   "peak_growth": after["VmHWM"] - before["VmHWM"]})
    return results


def _print(title: str, results: dict) -> None:
    print(f"\n{title} ({BODY_BYTES // 2**20} MB bodies): status, answered in, RSS before -> after, peak growth")
    for name, (status, answer, seconds, memory) in results.items():
        print(f"  {name:34s} {status} {answer.get('code', '')!s:18s} {seconds * 1000:6.0f} ms  "
              f"{memory['rss_before']:6.0f} -> {memory['rss_after']:6.0f} MB  +{memory['peak_growth']:.0f} MB peak")


@pytest.mark.usefixtures("_fast_password_hashing")
def test_oversized_and_anonymous_bodies_are_refused_unread_and_uploads_stream_to_disk(server_env, tmp_path):
    guarded = _attack("webapp.asgi:application", server_env, tmp_path)
    unguarded = _attack("tests.webapp.unguarded_asgi:application", server_env, tmp_path)
    _print("uvicorn with the body guard", guarded)
    _print("uvicorn without it (Django alone)", unguarded)

    status, answer, _, _ = guarded["upload let through, parsed"]
    assert (status, answer["code"]) == (400, "invalid_upload"), answer  # read, parsed, refused by content
    status, answer, _, _ = guarded["anonymous upload, Content-Length"]
    assert (status, answer["code"]) == (401, "not_authenticated")
    status, answer, _, _ = guarded["login, Content-Length"]
    assert (status, answer["code"]) == (413, "request_too_large") and str(BODY_BYTES) in answer["detail"]
    status, answer, _, _ = guarded["JSON route, chunked"]
    assert (status, answer["code"]) == (413, "request_too_large"), answer
    for name, (_, _, seconds, memory) in guarded.items():
        assert seconds < 5 or name == "upload let through, parsed", name
        # Refused or let through, the body never sits in the server's memory (daphne held each whole body).
        assert memory["peak_growth"] < PEAK_GROWTH_MAX_MB, (name, memory)
