"""Browser tests: the built review UI served by a real daphne (HTTP + websockets) on the test database,
a real Celery worker, Redis, and Debian's Chromium driven by Playwright. Screenshots of the main pages go to
out/e2e-screenshots/ (test artifacts)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "e2e-screenshots"


@pytest.fixture
def live_app(tmp_path, transactional_db, monkeypatch) -> Iterator[str]:
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
    with asgi_server(env, tmp_path / "daphne.log") as base:
        yield base


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    from webapp.livebrowser import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
