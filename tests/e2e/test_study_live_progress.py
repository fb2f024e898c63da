"""The study page's video rows follow their videos' progress websockets: a queued video's row shows the first frames
the worker streams as soon as they are broadcast, not at the next 3 s poll (found driving make run: the row said
"Queued 0 / 25" for 3 s while the first result was stored after 0.3 s)."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from django.conf import settings

from tests.e2e.session import log_in_new_page
from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from tests.webapp.videos.factories import make_video
from webapp.accounts.models import Role
from webapp.videos.models import Video, VideoStatus
from webapp.videos.progress import broadcast

UI_TIMEOUT_MS = 30_000

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_queued_videos_row_shows_streamed_progress_from_the_websocket(live_app, browser, screenshot, tmp_path):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # no worker here: the video stays queued in the database
    gi = make_user(Role.GASTROENTEROLOGIST, username="dr-live")
    study = make_study(gi, "E2E-LIVE-01")
    video = make_video(tmp_path, study, gi, frames=12)
    page = log_in_new_page(browser, live_app, "dr-live", UI_TIMEOUT_MS)
    page.goto(f"{live_app}/app/studies/{study.pk}")
    row = page.locator(f'[data-testid="video-row"][data-video-id="{video.pk}"]')
    row.get_by_text("0 / 12").wait_for()

    # What a worker broadcasts after its first stored batch. The API keeps saying queued, 0 frames (nothing is stored):
    # "5 / 12" on the page can only come from the websocket. Sent until seen (the socket connects after the page).
    message = {"type": "progress", "video": video.pk, "status": VideoStatus.PROCESSING, "frames_done": 5,
               "frame_count": 12, "fps": 4.0, "eta_s": 1.8, "events": [], "error": None}
    deadline = time.monotonic() + 20
    while not row.get_by_text("5 / 12").is_visible():
        assert time.monotonic() < deadline, "the row never showed the broadcast progress"
        # From another thread: Playwright's sync API runs an event loop in this one, where async_to_sync refuses.
        sender = threading.Thread(target=broadcast, args=(video.pk, message))
        sender.start()
        sender.join()
        page.wait_for_timeout(200)
    assert "Processing" in row.inner_text()
    screenshot(page, "study-live-progress")
    assert Video.objects.get(pk=video.pk).status == VideoStatus.QUEUED
