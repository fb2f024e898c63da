"""`manage.py run_embedded` (what `make run` starts), end to end in a subprocess: SQLite, in-memory broker and
channel layer, the synthetic demo study, an upload over HTTP with progress on the websocket, and a clean stop."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from inference.synthetic import write_sample_video

REPO = Path(__file__).resolve().parents[3]
# Bounds for two busy cores: startup (migrate, collectstatic, demo import) takes about 10 s there.
READY_TIMEOUT_S = 60
DONE_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        dropped = {"DATABASE_URL", "REDIS_URL", "POLYPSCOPE_ADMIN_PASSWORD"}  # the tests' PostgreSQL and Redis
        env = {k: v for k, v in os.environ.items() if k not in dropped}
        env.update(
            POLYPSCOPE_EMBEDDED="1",
            DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
            MEDIA_ROOT=str(tmp / "media"),
            STATIC_ROOT=str(tmp / "static"),
            POLYPSCOPE_DATASETS=str(tmp / "no-datasets"),  # synthetic demo: fast and the same everywhere
            PYTHONUNBUFFERED="1",
            # One OpenMP thread: on two cores busy with other work, torch's spinning threads made a 75-frame
            # tiny-model video take 54 s instead of 1.3 s (measured); the tiny model needs no more.
            OMP_NUM_THREADS="1",
        )  # POLYPSCOPE_CHECKPOINT (tiny model), INFERENCE_FAST=0 and INFERENCE_DEVICE come from conftest
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_embedded", "--port", str(self.port)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            # A shell without job control (CI) starts us with SIGINT ignored, which the child would inherit:
            # restore the default so that the server sees Ctrl+C as a terminal would deliver it.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if "Polypscope is running at" in line:
                self._ready.set()

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._ready.wait(0.2):
            assert self.proc.poll() is None, f"run_embedded exited early:\n{self.log}"
            assert time.monotonic() < deadline, f"not ready after {READY_TIMEOUT_S} s:\n{self.log}"
        time.sleep(0.5)  # the password lines follow the ready line

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _request(url: str, *, token: str | None = None, data: bytes | None = None,
             content_type: str = "application/json") -> dict:
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def _upload(url: str, token: str, path: Path) -> dict:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: video/mp4\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return _request(url, token=token, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _websocket_open(port: int, path: str, timeout_s: float):
    """A minimal RFC 6455 client (the test environment has no websocket package): the open socket's stream."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n\r\n")
                 .encode())
    stream = sock.makefile("rb")
    status = stream.readline()
    assert b" 101 " in status, status
    while stream.readline() not in (b"\r\n", b""):
        pass
    return sock, stream


def _websocket_messages(stream) -> Iterator[dict]:
    """JSON text frames until the server closes (server frames are never masked)."""
    while True:
        head = stream.read(2)
        if len(head) < 2:
            return
        opcode, length = head[0] & 0x0F, head[1] & 0x7F
        if length == 126:
            length = struct.unpack(">H", stream.read(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", stream.read(8))[0]
        payload = stream.read(length)
        if opcode == 0x8:
            return
        if opcode == 0x1:
            yield json.loads(payload)


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_it_serves_the_demo_study_processes_uploads_and_stops_cleanly(tmp_path: Path) -> None:
    server = _Server(tmp_path)
    try:
        server.wait_ready()
        password = re.search(r"password: (\S+) \(generated", server.log)
        assert password, server.log
        login = json.dumps({"username": "admin", "password": password.group(1)}).encode()
        token = _request(server.url("/api/auth/token/"), data=login)["token"]

        studies = _request(server.url("/api/studies/"), token=token)["results"]
        # The demo study with the video, and three more patients' labelled images for the retraining loop.
        assert sorted(s["patient_pseudo_id"] for s in studies) == ["DEMO-0001", "DEMO-0002", "DEMO-0003", "DEMO-0004"]
        studies = [s for s in studies if s["patient_pseudo_id"] == "DEMO-0001"]
        videos = _request(server.url(f"/api/studies/{studies[0]['id']}/videos/"), token=token)["results"]
        assert len(videos) == 1
        deadline = time.monotonic() + DONE_TIMEOUT_S
        while (demo := _request(server.url(f"/api/videos/{videos[0]['id']}/"), token=token))["status"] != "done":
            assert demo["status"] in {"queued", "processing"}, demo
            assert time.monotonic() < deadline, f"demo video not done after {DONE_TIMEOUT_S} s:\n{server.log}"
            time.sleep(0.5)
        assert demo["frames_done"] == demo["frame_count"] > 0

        # The retraining loop with no outside services: a run on the demo's labels, trained and gated by the
        # embedded `train` queue.
        run = _request(server.url("/api/training-runs/"), token=token, data=b"{}")
        assert run["status"] == "queued", run
        while (run := _request(server.url(f"/api/training-runs/{run['id']}/"), token=token))["status"] in {
                "queued", "running", "evaluating"}:
            assert time.monotonic() < deadline + DONE_TIMEOUT_S, f"run not done:\n{server.log}"
            time.sleep(0.5)
        assert run["status"] == "succeeded" and run["gate"] is not None, (run, server.log)
        assert run["snapshot"]["train_examples"] > 0 and run["snapshot"]["holdout_examples"] > 0

        # An upload over HTTP, watched on the websocket: the worker thread's broadcasts reach the server's loop.
        clip = write_sample_video(tmp_path / "clip.mp4", frames=400, size=(160, 128))
        video = _upload(server.url(f"/api/studies/{studies[0]['id']}/videos/"), token, clip)
        sock, stream = _websocket_open(server.port, f"/ws/videos/{video['id']}/?token={token}", DONE_TIMEOUT_S)
        with sock:
            # Joined the group before the handshake completed, so a video still active now reports its end here.
            at_connect = _request(server.url(f"/api/videos/{video['id']}/"), token=token)["status"]
            assert at_connect in {"queued", "processing"}, "the clip finished before the socket opened: lengthen it"
            messages = []
            for message in _websocket_messages(stream):
                messages.append(message)
                if message["status"] not in {"queued", "processing"}:
                    break
        assert messages and messages[-1]["status"] == "done", messages
        assert messages[-1]["frames_done"] == 400
        assert any(m["status"] == "processing" and 0 < m["frames_done"] < 400 for m in messages), messages
        running = _descendants(server.proc.pid)
    finally:
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGINT)  # what Ctrl+C sends
        try:
            rc = server.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            raise
        finally:
            print(server.log)  # pytest shows it when the test fails
    assert rc == 0, server.log
    assert "stopped" in server.log
    assert not {pid for pid in running if Path(f"/proc/{pid}").exists()}, "a child process outlived run_embedded"
