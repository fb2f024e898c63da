"""A video uploaded through the study page in parts (the resumable protocol, webapp/transfers), in Chromium against
the real web server, PostgreSQL, Redis and a Celery worker: a progress bar of the bytes sent, the connection lost
after a few parts, the page closed; a new page offers to resume the same file, sends only the missing parts (one of
them retried after a dropped request), and the video appears on the page and is processed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.e2e.session import log_in_new_page
from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from tests.webapp.videos.worker import start_worker, stop_worker
from webapp.accounts.models import Role
from webapp.audit.models import Action, AuditEntry
from webapp.transfers.models import UploadSession, UploadState
from webapp.videos.models import Video, VideoStatus

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
CLIP = DATASETS / "videos" / "colondb_seq01_5fps.mp4"  # 949 KB, 38 H.264 frames
PART = 64 * 1024  # the server's part size here: the clip in 15 parts
PARTS_BEFORE_THE_DROP = 4
UI_TIMEOUT_MS = 30_000
PROCESSING_TIMEOUT_S = 180  # the worker's start (~15 s) and 38 frames of the tiny test model

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def small_parts(monkeypatch) -> None:
    """Before live_app (which copies the environment): the server cuts uploads into PART-byte parts."""
    monkeypatch.setenv("UPLOAD_PART_BYTES", str(PART))


def log_in(context, base: str, username: str):
    return log_in_new_page(context, base, username, UI_TIMEOUT_MS)


def wait_until(page, condition, timeout_s: float, what: str, log: Path | None = None) -> None:
    """Poll the database or the disk while the page runs: Playwright's waits (not time.sleep) let its event loop
    serve the routes meanwhile, or the page's intercepted requests would stand still."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{tail}"
        page.wait_for_timeout(200)


def parts_on_disk(session: UploadSession) -> int:
    folder = Path(settings.MEDIA_ROOT) / "tmp" / "uploads" / str(session.pk)
    return len(list(folder.glob("*.part"))) if folder.is_dir() else 0


def test_a_video_upload_survives_a_lost_connection_and_a_closed_page_and_is_processed(
    small_parts, live_app, browser, screenshot, tmp_path
):
    assert CLIP.is_file(), f"{CLIP} is missing: the browser test needs ../shared/datasets"
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the tests' own Redis db: no stale tasks
    gi = make_user(Role.GASTROENTEROLOGIST, username="dr-upload")
    study = make_study(gi, "E2E-UPLOAD-01")
    count = -(-CLIP.stat().st_size // PART)
    context = browser.new_context(viewport={"width": 1440, "height": 900})  # one browser profile: its localStorage

    # First visit: four parts get through, then every part request fails (the network is gone).
    page = log_in(context, live_app, "dr-upload")
    passed: list[str] = []

    def first_network(route) -> None:
        if len(passed) < PARTS_BEFORE_THE_DROP:
            passed.append(route.request.url)
            route.continue_()
        else:
            route.abort("connectionfailed")

    page.route("**/api/uploads/*/parts/*/", first_network)
    page.goto(f"{live_app}/app/studies/{study.pk}")
    page.get_by_test_id("upload-input").set_input_files(str(CLIP))
    page.get_by_test_id("upload-progress").wait_for()
    wait_until(page, lambda: UploadSession.objects.filter(study=study).exists(), 20, "the upload session")
    session = UploadSession.objects.get(study=study)
    assert (session.part_size, session.size, session.filename) == (PART, CLIP.stat().st_size, CLIP.name)
    wait_until(page, lambda: parts_on_disk(session) == PARTS_BEFORE_THE_DROP, 30, "the first parts")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=upload-sent]')?.textContent.includes('of 927 KB')")
    page.get_by_test_id("upload-retrying").wait_for()  # the failing parts are being tried again
    screenshot(page, "upload-01-sending-then-offline")
    saved = page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('polypscope.upload.'))")
    assert len(saved) == 1 and saved[0].endswith(CLIP.name)
    page.close()  # the page is gone mid-upload (a reload, a closed tab); the parts sent stay on the server
    assert UploadSession.objects.get(pk=session.pk).state == UploadState.OPEN

    # Second visit, same browser (still logged in): choosing the same file offers to resume; one part's request
    # drops once.
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    sent: list[int] = []
    dropped: list[int] = []

    def second_network(route) -> None:
        number = int(route.request.url.rstrip("/").rsplit("/", 1)[1])
        if number == PARTS_BEFORE_THE_DROP + 2 and not dropped:
            dropped.append(number)
            route.abort("connectionreset")
            return
        sent.append(number)
        route.continue_()

    page.route("**/api/uploads/*/parts/*/", second_network)
    page.goto(f"{live_app}/app/studies/{study.pk}")
    page.get_by_test_id("upload-input").set_input_files(str(CLIP))
    offer = page.get_by_test_id("upload-resume-offer")
    offer.wait_for()
    assert f"{100 * PARTS_BEFORE_THE_DROP * PART // CLIP.stat().st_size}%" in offer.inner_text()
    screenshot(page, "upload-02-resume-offer")
    page.get_by_test_id("upload-resume").click()
    page.get_by_test_id("upload-done").wait_for()
    assert sorted(sent) == list(range(PARTS_BEFORE_THE_DROP + 1, count + 1))  # only the missing ones, each once
    assert dropped == [PARTS_BEFORE_THE_DROP + 2]  # and that one again after its dropped request

    video = Video.objects.get(study=study)
    assert (video.original_name, video.size_bytes, video.frame_count) == (CLIP.name, CLIP.stat().st_size, 38)
    assert (Path(settings.MEDIA_ROOT) / video.file.name).read_bytes() == CLIP.read_bytes()
    assert UploadSession.objects.get(pk=session.pk).state == UploadState.COMPLETED
    assert parts_on_disk(session) == 0
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('polypscope.upload.'))") == []
    assert AuditEntry.objects.filter(action=Action.UPLOAD_COMPLETE, target_id=str(session.pk), actor=gi).exists()
    row = page.locator(f'[data-testid="video-row"][data-video-id="{video.pk}"]')
    row.wait_for()
    screenshot(page, "upload-03-uploaded")

    # The worker processes it; the page shows it done.
    log = tmp_path / "worker.log"
    worker = start_worker(log)
    try:
        wait_until(page, lambda: Video.objects.get(pk=video.pk).status == VideoStatus.DONE, PROCESSING_TIMEOUT_S,
                   "the uploaded video to be processed", log)
        row.locator(".badge.video-done").wait_for(timeout=UI_TIMEOUT_MS)
        screenshot(page, "upload-04-processed")
    finally:
        stop_worker(worker)
        context.close()
