"""A small study from assignment to its signed-off report in Chromium: an admin assigns an annotator and adds a
still image from the study page; the gastroenterologist resumes a cancelled video, judges every event in the
video page (keys C/F/U, a note), closes the study from the study page (confirming), and opens the report: the
events with their verdicts, notes and peak-frame thumbnails, the sign-off, the model version; then the same page
as printed (print media: no navigation) and as a PDF. Last, an admin creates a study with a member assigned.
Real PostgreSQL, Redis, uvicorn and a Celery worker running the shipped model on a real CVC-ColonDB clip (from
../shared/datasets)."""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path

import cv2
import pytest
import redis
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections

from inference.checkpoint import default_checkpoint
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.session import log_in_new_page
from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import kvasir_zip, make_study
from tests.webapp.videos.worker import start_worker, stop_worker
from webapp.accounts.models import Role
from webapp.annotations.models import Verdict
from webapp.audit.models import Action, AuditEntry
from webapp.mlops.services import model_version_register
from webapp.studies.models import Mask, MaskSource, StillImage, StudyStatus
from webapp.studies.services import STUDY_MEMBERS
from webapp.videos.models import PolypEvent, Video, VideoStatus
from webapp.videos.services import VIDEO_RESUME, video_cancel, video_upload

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
CLIP = DATASETS / "videos" / "colondb_seq01_5fps.mp4"  # 38 H.264 frames, 574x500, polyps in view
# The shipped model on two shared CPU cores: ~3 frames/s eager, plus the worker's start (~15 s).
PROCESSING_TIMEOUT_S = 300
UI_TIMEOUT_MS = 20_000
KEYS = {"c": "confirmed", "f": "false_positive", "u": "uncertain"}

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(browser, base: str, username: str):
    return log_in_new_page(browser, base, username, UI_TIMEOUT_MS, viewport={"width": 1440, "height": 900})


def wait_until(condition, timeout_s: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{tail}"
        time.sleep(0.5)


def test_a_study_from_assignment_to_its_signed_off_report(live_app, browser, screenshot, tmp_path):
    assert CLIP.is_file(), f"{CLIP} is missing: the browser test needs ../shared/datasets"
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the tests' own Redis db: no stale tasks
    model = model_version_register(checkpoint_path=default_checkpoint(), activate=True)  # the shipped model
    make_user(Role.ADMIN, username="root-admin")
    gi = make_user(Role.GASTROENTEROLOGIST, username="dr-gi")
    annotator = make_user(Role.ANNOTATOR, username="ann-1")
    study = make_study(gi, "E2E-SIGN-01")
    video = video_upload(study=study, user=gi,
                         upload=SimpleUploadedFile(CLIP.name, CLIP.read_bytes(), content_type="video/mp4"))
    # Cancelled before any worker ran: the page resumes it. In a thread of its own: the cancel broadcasts
    # through async_to_sync, which cannot run in this thread while Playwright's event loop does.
    def cancel() -> None:
        try:
            video_cancel(video=video, user=gi)
        finally:
            connections.close_all()  # this thread's own connection, or the test database cannot be dropped

    canceller = threading.Thread(target=cancel)
    canceller.start()
    canceller.join()
    assert Video.objects.get(pk=video.pk).status == VideoStatus.CANCELLED
    log = tmp_path / "worker.log"
    worker = start_worker(log)
    try:
        # The admin assigns the annotator and adds a still image, on the study page.
        admin = log_in(browser, live_app, "root-admin")
        admin.get_by_test_id("study-row").first.wait_for()
        screenshot(admin, "signoff-01-study-list")
        admin.get_by_test_id("study-row").first.click()
        admin.get_by_test_id("study-members").wait_for()
        assert "E2E-SIGN-01" in admin.get_by_test_id("breadcrumbs").inner_text()
        assert "E2E-SIGN-01" in admin.title()
        admin.get_by_test_id("members-edit").click()
        admin.locator(f'[data-testid="member-option"][data-user-id="{annotator.pk}"]').check()
        screenshot(admin, "signoff-02-assign-members")
        admin.get_by_test_id("members-save").click()
        admin.locator(f'[data-testid="member-chip"][data-user-id="{annotator.pk}"]').wait_for()
        assert list(study.members.all()) == [annotator]
        assert AuditEntry.objects.filter(action=STUDY_MEMBERS, target_id=str(study.pk)).exists()
        frame = cv2.imread(str(next((DATASETS / "kvasir-seg").rglob("*.jpg"))))
        jpeg = cv2.imencode(".jpg", cv2.resize(frame, (320, 280)))[1].tobytes()
        admin.get_by_test_id("image-upload-input").set_input_files(
            [{"name": "polyp-still.jpg", "mimeType": "image/jpeg", "buffer": jpeg}])
        admin.get_by_test_id("image-upload-done").wait_for()
        admin.get_by_test_id("image-card").first.wait_for()
        assert StillImage.objects.filter(study=study, original_name="polyp-still.jpg").count() == 1

        # The gastroenterologist resumes the cancelled video from the study page.
        page = log_in(browser, live_app, "dr-gi")
        page.goto(f"{live_app}/app/studies/{study.pk}")
        page.get_by_test_id("video-resume").click()
        page.locator(f'[data-testid="video-row"][data-video-id="{video.pk}"] .badge.video-cancelled').wait_for(
            state="detached")
        assert AuditEntry.objects.filter(action=VIDEO_RESUME, target_id=str(video.pk)).exists()
        screenshot(page, "signoff-03-study-resumed")
        wait_until(lambda: Video.objects.get(pk=video.pk).status == VideoStatus.DONE, PROCESSING_TIMEOUT_S,
                   "the resumed video to be processed", log)
        events = list(PolypEvent.objects.filter(video=video).order_by("start_index"))
        assert events, "the shipped model found no polyp event in a clip full of polyps"

        # Every event judged in the video page: a note and a click for the first, keys for the others.
        page.goto(f"{live_app}/app/videos/{video.pk}")
        rows = page.get_by_test_id("event-row")
        rows.nth(len(events) - 1).wait_for()
        expected: dict[int, str] = {}
        for n, event in enumerate(events):
            page.locator(f'[data-testid="event-row"][data-event-id="{event.pk}"]').click()
            page.locator(f'[data-testid="verdict-panel"][data-event-id="{event.pk}"]').wait_for()
            key = "fcu"[n % 3]
            page.keyboard.press(key)
            expected[event.pk] = KEYS[key]
            wait_until(lambda e=event: Verdict.objects.filter(event=e).exists(), 20, f"the verdict on {event.pk}")
            if n == 0:  # changed on second look, with a note: the report shows the newest and counts the other
                page.locator(f'[data-testid="event-row"][data-event-id="{event.pk}"]').click()
                page.get_by_test_id("verdict-note").fill("sessile, about 5 mm")
                page.get_by_test_id("verdict-confirmed").click()
                expected[event.pk] = "confirmed"
                wait_until(lambda e=event: Verdict.objects.filter(event=e).count() == 2, 20, "the second verdict")
        current = {e.pk: e.verdicts.order_by("-created_at", "-id").first() for e in events}
        assert {pk: v.value for pk, v in current.items()} == expected
        assert current[events[0].pk].note == "sessile, about 5 mm"
        screenshot(page, "signoff-04-video-judged")

        # Closing from the study page asks first, then locks it and puts the report forward.
        page.goto(f"{live_app}/app/studies/{study.pk}")
        page.get_by_test_id("report-link").wait_for()
        assert "draft" in page.get_by_test_id("report-link").inner_text().lower()
        dialogs: list[str] = []
        page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
        page.get_by_test_id("study-status").select_option("closed")
        page.get_by_test_id("closed-notice").wait_for()
        assert dialogs and "sign" in dialogs[0].lower()
        study.refresh_from_db()
        assert study.status == StudyStatus.CLOSED
        assert page.get_by_test_id("image-upload-input").count() == 0  # uploads are locked
        screenshot(page, "signoff-05-study-closed")

        # The report: every event with its verdict and a loaded peak-frame thumbnail, the sign-off, the model.
        page.get_by_test_id("report-link").click()
        sheet = page.get_by_test_id("report-page")
        sheet.wait_for()
        assert sheet.get_attribute("data-state") == "signed_off"
        assert "E2E-SIGN-01" in page.title() and "E2E-SIGN-01" in page.get_by_test_id("breadcrumbs").inner_text()
        assert "by dr-gi" in page.get_by_test_id("report-signed-off").text_content()
        assert page.get_by_test_id("report-patient").inner_text() == "E2E-SIGN-01"
        assert model.version in page.get_by_test_id("report-models").inner_text()
        assert page.get_by_test_id("report-reviewers").inner_text() == "dr-gi"
        cards = page.get_by_test_id("report-event")
        assert cards.count() == len(events)
        for event in events:
            card = page.locator(f'[data-testid="report-event"][data-event-id="{event.pk}"]')
            assert card.get_attribute("data-verdict") == expected[event.pk]
        assert "sessile, about 5 mm" in cards.first.inner_text()
        assert "replacing 1 earlier verdict" in cards.first.inner_text()
        page.wait_for_function(
            "n => { const imgs = [...document.querySelectorAll('[data-testid=report-thumbnail]')];"
            " return imgs.length === n && imgs.every(i => i.complete && i.naturalWidth > 0); }",
            arg=len(events))
        screenshot(page, "signoff-06-report")

        # The model's mask is outlined over each thumbnail (a canvas drawn from the frame's mask.png).
        page.wait_for_function("() => [...document.querySelectorAll('[data-testid=report-outline]')]"
                               ".some(c => c.dataset.outlined === 'true')")
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi, as the page prints
        assert not page.locator(".topbar").is_visible() and not page.get_by_test_id("report-print").is_visible()
        screenshot(page, "signoff-07-report-print")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pdf = SCREENSHOTS / "signoff-report.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        assert pdf.read_bytes().startswith(b"%PDF")

        # An admin creates the next study with the annotator assigned from the start: they see it at once.
        admin.goto(live_app + "/app/")
        admin.get_by_test_id("new-study-toggle").click()
        admin.get_by_test_id("new-study-patient").fill("E2E-SIGN-02")
        admin.get_by_test_id("new-study-indication").fill("surveillance")
        admin.locator(f'[data-testid="member-option"][data-user-id="{annotator.pk}"]').check()
        screenshot(admin, "signoff-08-new-study-with-members")
        admin.get_by_test_id("new-study-submit").click()
        admin.locator(f'[data-testid="member-chip"][data-user-id="{annotator.pk}"]').wait_for()
        assert "E2E-SIGN-02" in admin.get_by_test_id("breadcrumbs").inner_text()
        assert annotator.studies.filter(patient__pseudo_id="E2E-SIGN-02").exists()

        # Import and export are buttons: a Kvasir-SEG zip becomes a study, whose labels download as a zip again.
        kvasir_zip(tmp_path / "kvasir-small.zip", n=2)
        admin.goto(live_app + "/app/")
        admin.get_by_test_id("import-input").set_input_files(str(tmp_path / "kvasir-small.zip"))
        admin.get_by_test_id("image-card").nth(1).wait_for()
        assert "KVASIR-kvasir-small" in admin.get_by_test_id("breadcrumbs").inner_text()
        with admin.expect_download() as download:
            admin.get_by_test_id("export-kvasir").click()
        exported = tmp_path / "export.zip"
        download.value.save_as(exported)
        with zipfile.ZipFile(exported) as zf:
            assert sum(name.startswith("masks/") for name in zf.namelist()) == 2
        screenshot(admin, "signoff-09-imported-study")

        # The still image the admin added was predicted by the worker, as imports are.
        wait_until(lambda: Mask.objects.filter(image__study=study, source=MaskSource.MODEL).exists(), 120,
                   "the still image's prediction", log)
        assert AuditEntry.objects.filter(action=Action.STUDY_STATUS, target_id=str(study.pk)).exists()
    finally:
        stop_worker(worker)
