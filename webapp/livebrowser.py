"""A real ASGI server and Debian's Chromium, for the browser tests and the review-page benchmark.

Chromium comes from the system (`apt-get install chromium`), never a browser download: Playwright is
given its path. The flags keep it off the network (this machine's closed network refuses Chromium's
background connections, many at a time) and out of any profile.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from webapp.server import command as server_command

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
# The server imports Django, Channels and torch before it listens: ~10 s on two busy cores.
SERVER_START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def asgi_server(env: dict[str, str], log_path: Path, command: list[str] | None = None) -> Iterator[str]:
    """The production web server (webapp/server.py: uvicorn serving webapp.asgi) on a free localhost port with
    `env`; yields its base URL. `command`: Python's arguments for another server instead ("{port}" filled in)."""
    port = free_port()
    argv = server_command(port=port) if command is None else \
        [sys.executable, *(arg.format(port=port) for arg in command)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv,
            cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the web server exited with {proc.returncode}: see {log_path}")
                try:
                    urllib.request.urlopen(base + "/api/auth/session/", timeout=2)
                    break
                except urllib.error.HTTPError:
                    break  # it answers (403: nobody logged in)
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the web server did not answer within {SERVER_START_TIMEOUT_S} s") from None
                    time.sleep(0.3)
            yield base
        finally:
            stop_process(proc, timeout_s=15)


def stop_process(proc: subprocess.Popen, timeout_s: float) -> None:
    """SIGTERM (a warm stop), then SIGKILL when it has not exited within timeout_s."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def launch_chromium(playwright):  # playwright: playwright.sync_api.Playwright
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium`) "
                           "or set CHROMIUM_PATH")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
