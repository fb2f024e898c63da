"""The review UI end to end in Chromium: log in, open a processed video, see events on the timeline, give a
verdict, paint a correction, save, reload and see the new revision, and get the conflict message on a
stale save. Real PostgreSQL, Redis, uvicorn and a Celery worker running the shipped model on a real
CVC-ColonDB clip (from ../shared/datasets)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from inference.checkpoint import default_checkpoint
from tests.webapp.accounts.factories import PASSWORD, make_user
from tests.webapp.studies.factories import make_study
from tests.webapp.videos.worker import start_worker, stop_worker
from webapp.accounts.models import Role
from webapp.annotations.models import MaskRevision, Verdict
from webapp.mlops.services import model_version_register
from webapp.studies.services import study_add_member
from webapp.videos import rle
from webapp.videos.models import FrameResult, PolypEvent, Video, VideoStatus
from webapp.videos.services import video_upload

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
CLIP = DATASETS / "videos" / "colondb_seq01_5fps.mp4"  # 38 H.264 frames, 574x500, polyps in view
# The shipped model on two CPU cores: ~3 frames/s eager, plus the worker's start (~15 s).
PROCESSING_TIMEOUT_MS = 180_000
UI_TIMEOUT_MS = 20_000

pytestmark = pytest.mark.django_db(transaction=True)

# Counts the overlay canvas's painted pixels.
PAINTED_JS = (
    "const painted = () => { const c = document.querySelector('[data-testid=mask-overlay]');"
    " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
    " for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; };"
)


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/app/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("nav-review").wait_for()


def paint_stroke(page, dx: float, dy: float) -> None:
    box = page.get_by_test_id("editor-canvas").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + dx * step / 10, y + dy * step / 10)
    page.mouse.up()


def test_review_verdict_correction_and_conflict_in_a_real_browser(live_app, browser, screenshot, tmp_path):
    assert CLIP.is_file(), f"{CLIP} is missing: the browser test needs ../shared/datasets"
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the tests' own Redis db: no stale tasks
    model_version_register(checkpoint_path=default_checkpoint(), activate=True)  # the shipped model
    gi = make_user(Role.GASTROENTEROLOGIST, username="dr-gi")
    annotator = make_user(Role.ANNOTATOR, username="ann-1")
    other = make_user(Role.ANNOTATOR, username="ann-2")
    study = make_study(gi, "E2E-0001")
    for member in (annotator, other):
        study_add_member(study=study, user=member)
    video = video_upload(study=study, user=gi,
                         upload=SimpleUploadedFile(CLIP.name, CLIP.read_bytes(), content_type="video/mp4"))
    worker = start_worker(tmp_path / "worker.log")
    try:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(live_app + "/app/")
        page.get_by_test_id("login-username").wait_for()
        screenshot(page, "01-login")
        log_in(page, live_app, "dr-gi")
        page.get_by_test_id("study-row").first.wait_for()
        screenshot(page, "02-study-list")
        page.get_by_test_id("study-row").first.click()
        page.get_by_test_id("video-row").first.wait_for()
        screenshot(page, "03-study")
        page.get_by_test_id("study-status").select_option("in_review")
        page.locator(".badge.study-in_review").wait_for()
        study.refresh_from_db()
        assert study.status == "in_review"
        page.goto(f"{live_app}/app/videos/{video.pk}")
        page.get_by_test_id("timeline-canvas").wait_for()
        # Processing runs while the page is open: progress and events arrive over the websocket.
        deadline = time.monotonic() + PROCESSING_TIMEOUT_MS / 1000
        while Video.objects.get(pk=video.pk).status != VideoStatus.DONE:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
            assert Video.objects.get(pk=video.pk).status in (VideoStatus.QUEUED, VideoStatus.PROCESSING)
            time.sleep(0.5)
        events = list(PolypEvent.objects.filter(video=video).order_by("start_index"))
        assert events, "the shipped model found no polyp event in a clip full of polyps"
        rows = page.get_by_test_id("event-row")
        rows.nth(len(events) - 1).wait_for()  # the page refetched events when the socket said done
        assert rows.count() == len(events)
        # The frame on screen since before it was processed now shows its mask (no reload, no seek).
        shown = int(page.get_by_test_id("frame-index").inner_text())
        expected_now = int(rle.decode(FrameResult.objects.get(video=video, index=shown).mask_rle,
                                      video.height, video.width).sum())
        page.wait_for_function(f"() => {{ {PAINTED_JS} return painted() === {expected_now}; }}")
        screenshot(page, "04-video-review")

        # A verdict on the first event, from the keyboard: next event, then C (confirmed).
        page.keyboard.press("n")
        page.get_by_test_id("verdict-confirmed").click()
        first_row = page.locator(f'[data-testid="event-row"][data-event-id="{events[0].pk}"]')
        first_row.get_by_test_id("event-verdict").filter(has_text=re.compile("confirm", re.I)).wait_for()
        verdict = Verdict.objects.get(event=events[0])
        assert verdict.value == "confirmed" and verdict.reviewer == gi

        # The mask over the player is the model's mask of the frame on screen, pixel for pixel.
        peak = events[0].peak_index
        page.goto(f"{live_app}/app/videos/{video.pk}?frame={peak}")
        page.get_by_test_id("frame-index").filter(has_text=re.compile(rf"^{peak}$")).wait_for()
        page.locator(f'[data-testid="mask-overlay"][data-frame="{peak}"]').wait_for(state="attached")
        painted = page.get_by_test_id("mask-overlay").evaluate(
            "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
            " for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return [c.width, c.height, n]; }")
        stored = FrameResult.objects.get(video=video, index=peak).mask_rle
        expected = int(rle.decode(stored, video.height, video.width).sum())
        assert painted == [video.width, video.height, expected] and expected > 0
        assert page.get_by_test_id("frame-index").inner_text() == str(peak)

        page.goto(live_app + "/app/review")
        page.wait_for_load_state("networkidle")
        screenshot(page, "05-review-queue")
        page.get_by_test_id("nav-review").wait_for()

        # The annotator corrects the peak frame of that event.
        frame = events[0].peak_index
        editor = browser.new_page(viewport={"width": 1440, "height": 900})
        editor.set_default_timeout(UI_TIMEOUT_MS)
        log_in(editor, live_app, "ann-1")
        editor.goto(f"{live_app}/app/videos/{video.pk}/frames/{frame}/edit")
        editor.get_by_test_id("editor-canvas").wait_for()
        editor.wait_for_load_state("networkidle")
        # A second annotator opens the same frame before the first one saves.
        rival = browser.new_page(viewport={"width": 1440, "height": 900})
        rival.set_default_timeout(UI_TIMEOUT_MS)
        log_in(rival, live_app, "ann-2")
        rival.goto(f"{live_app}/app/videos/{video.pk}/frames/{frame}/edit")
        rival.get_by_test_id("editor-canvas").wait_for()
        rival.wait_for_load_state("networkidle")

        editor.get_by_test_id("tool-brush").click()
        paint_stroke(editor, 120, 40)
        screenshot(editor, "06-mask-editor")
        editor.get_by_test_id("save").click()
        editor.get_by_test_id("revision-row").first.wait_for()
        first = MaskRevision.objects.get(video=video, frame_index=frame)
        assert first.author == annotator and first.based_on is None
        editor.reload()
        editor.get_by_test_id("revision-row").first.wait_for()
        assert editor.get_by_test_id("revision-row").count() == 1
        assert "ann-1" in editor.get_by_test_id("revision-row").first.inner_text()

        # The rival's save is stale: a clear conflict message, nothing written, the edit kept.
        rival.get_by_test_id("tool-brush").click()
        paint_stroke(rival, -100, 60)
        rival.get_by_test_id("save").click()
        message = rival.get_by_test_id("conflict-message")
        message.wait_for()
        assert "ann-1" in message.inner_text()
        screenshot(rival, "07-conflict")
        assert MaskRevision.objects.filter(video=video, frame_index=frame).count() == 1
        rival.get_by_test_id("save-mine").click()
        rival.get_by_test_id("revision-row").nth(1).wait_for()
        newest = MaskRevision.objects.filter(video=video, frame_index=frame).order_by("-id").first()
        assert newest.author == other and newest.based_on == first and newest.rle != first.rle

        editor.goto(live_app + "/app/corrections")
        editor.wait_for_load_state("networkidle")
        screenshot(editor, "08-correction-queue")
    finally:
        stop_worker(worker)


def test_admins_see_model_versions_with_metrics(live_app, browser, screenshot):
    version = model_version_register(checkpoint_path=default_checkpoint(), activate=True)
    make_user(Role.ADMIN, username="root-admin")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(UI_TIMEOUT_MS)
    log_in(page, live_app, "root-admin")
    page.get_by_test_id("nav-models").click()
    page.get_by_text(version.version).first.wait_for()
    body = page.inner_text("body")
    # The model card's Kvasir-SEG test numbers of the shipped model (inference/weights/MODEL_CARD.json).
    assert "0.8641" in body and "0.7945" in body
    screenshot(page, "09-models")


def test_a_stranger_is_sent_to_the_login_page(live_app, browser):
    page = browser.new_page()
    page.goto(live_app + "/app/studies/1")
    page.get_by_test_id("login-username").wait_for(timeout=UI_TIMEOUT_MS)
    assert page.get_by_test_id("study-row").count() == 0
