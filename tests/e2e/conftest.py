"""Browser tests: the built review UI served by the real web server (uvicorn, webapp/server.py: HTTP and
websockets) on the test database, a real Celery worker, Redis, and Debian's Chromium driven by Playwright.
Screenshots of the main pages go to out/e2e-screenshots/ (test artifacts)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.webapp.db import wait_for_backends

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "e2e-screenshots"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def _fast_password_hashing() -> None:
    """Overrides the suite's MD5 hasher: the server in its own process checks passwords with the real one."""


@pytest.fixture
def live_app(tmp_path, transactional_db, monkeypatch, request) -> Iterator[str]:
    """The whole app on a free port, against the committed state of the test database."""
    from django.conf import settings
    from django.db import connection

    from webapp.livebrowser import asgi_server

    index = settings.FRONTEND_DIST / "index.html"
    assert index.is_file(), f"{index} is missing: build the review UI first (`make frontend`)"
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    db = connection.settings_dict
    env = dict(os.environ, DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    log = tmp_path / "server.log"
    with asgi_server(env, log) as base:
        yield base
    if getattr(request.node, "failed_call", False):
        print("--- web server log (tail) ---\n" + log.read_text(errors="replace")[-4000:])
    # PostgreSQL ends a stopped server's (or worker's) backends a moment after their sockets close; the test
    # database can only be flushed or dropped once they are gone.
    wait_for_backends(1, timeout=10.0)


@pytest.fixture
def browser(request):
    """Chromium; when the test fails, every open page is saved as failure-<test>-<n>.png with its console."""
    from playwright.sync_api import sync_playwright

    from webapp.livebrowser import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        console: list[str] = []
        chromium.on("disconnected", lambda _: None)
        original_new_page = chromium.new_page

        def new_page(**kwargs):
            page = original_new_page(**kwargs)
            page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
            page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
            return page

        chromium.new_page = new_page
        try:
            yield chromium
        finally:
            if getattr(request.node, "failed_call", False):
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                for n, context in enumerate(chromium.contexts):
                    for m, page in enumerate(context.pages):
                        page.screenshot(path=str(SCREENSHOTS / f"failure-{request.node.name}-{n}-{m}.png"))
                print("--- browser console ---\n" + "\n".join(console[-60:]))
            chromium.close()
            # ORM calls made while Playwright's loop ran used connections of that context: close them here,
            # or the test database cannot be dropped at the end.
            from django.db import connections

            connections.close_all()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
