"""The review flow's notes and its "Next" in Chromium (issue 10): a note typed after the verdict is saved (it was
silently lost), the verdict history shows it, the review queue's "Review" opens an event at its peak frame, and
N after a video's last event goes on to the next video with events awaiting a verdict. Real PostgreSQL, Redis,
uvicorn and a Celery worker running the shipped model on real CVC-ColonDB clips (from ../shared/datasets)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import redis
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from inference.checkpoint import default_checkpoint
from tests.e2e.test_review_flow import DATASETS, PROCESSING_TIMEOUT_MS, UI_TIMEOUT_MS, log_in
from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from tests.webapp.videos.worker import start_worker, stop_worker
from webapp.accounts.models import Role
from webapp.annotations.models import Verdict
from webapp.mlops.services import model_version_register
from webapp.videos.models import PolypEvent, Video, VideoStatus
from webapp.videos.services import video_upload

pytestmark = pytest.mark.django_db(transaction=True)

# Every frame of a CVC-ColonDB sequence shows its polyp, so one clip is one event. Two events in one video:
# sequence 3, then 2 s of black (longer than the 1 s gap that joins events; the shipped model scores a black
# frame 0.002, a mid grey one 0.63), then sequence 7.
CLIP_A = DATASETS / "videos" / "colondb_seq03_5fps.mp4"
CLIP_B = DATASETS / "videos" / "colondb_seq07_5fps.mp4"
GAP_FRAMES = 10
FIRST_NOTE = "sessile, about 6 mm, NICE 2"
LAST_NOTE = "pedunculated; check the histology"


def frames_of(clip: Path) -> tuple[list[np.ndarray], float]:
    capture = cv2.VideoCapture(str(clip))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames, fps


def two_polyps_clip(path: Path) -> bytes:
    """Sequence 3, a black gap, sequence 7 (resized to sequence 3's size), as an MP4 (mp4v)."""
    first, fps = frames_of(CLIP_A)
    second, _ = frames_of(CLIP_B)
    height, width = first[0].shape[:2]
    gap = [np.zeros((height, width, 3), np.uint8)] * GAP_FRAMES
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in [*first, *gap, *(cv2.resize(f, (width, height)) for f in second)]:
        writer.write(frame)
    writer.release()
    return path.read_bytes()


def upload(study, user, data: bytes, name: str) -> Video:
    return video_upload(study=study, user=user, upload=SimpleUploadedFile(name, data, content_type="video/mp4"))


def wait_processed(videos: list[Video], worker_log) -> None:
    deadline = time.monotonic() + 2 * PROCESSING_TIMEOUT_MS / 1000
    for video in videos:
        while Video.objects.get(pk=video.pk).status != VideoStatus.DONE:
            assert time.monotonic() < deadline, worker_log.read_text(errors="replace")[-3000:]
            assert Video.objects.get(pk=video.pk).status in (VideoStatus.QUEUED, VideoStatus.PROCESSING)
            time.sleep(0.5)


def newest(event: PolypEvent) -> Verdict:
    return Verdict.objects.filter(event=event).order_by("-created_at", "-id").first()


def row_verdict(page, event: PolypEvent, value: str):
    return page.locator(f'[data-testid="event-row"][data-event-id="{event.pk}"] '
                        f'[data-testid="event-verdict"][data-verdict="{value}"]')


def test_a_note_typed_after_the_verdict_is_saved_and_next_goes_to_the_next_video(live_app, browser, screenshot,
                                                                                   tmp_path):
    for clip in (CLIP_A, CLIP_B):
        assert clip.is_file(), f"{clip} is missing: the browser test needs ../shared/datasets"
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    model_version_register(checkpoint_path=default_checkpoint(), activate=True)
    gi = make_user(Role.GASTROENTEROLOGIST, username="dr-notes")
    # Two patients' studies, the older video first in the review queue.
    first = upload(make_study(gi, "NOTES-A"), gi, two_polyps_clip(tmp_path / "a.mp4"), "colonoscopy-a.mp4")
    second = upload(make_study(gi, "NOTES-B"), gi, CLIP_A.read_bytes(), "colonoscopy-b.mp4")
    worker_log = tmp_path / "worker.log"
    worker = start_worker(worker_log)
    try:
        wait_processed([first, second], worker_log)
    finally:
        stop_worker(worker)
    events = list(PolypEvent.objects.filter(video=first).order_by("start_index"))
    next_events = list(PolypEvent.objects.filter(video=second).order_by("start_index"))
    assert len(events) == 2 and next_events, (
        [(e.start_index, e.end_index) for e in events], [(e.start_index, e.end_index) for e in next_events],
        str([round(s, 2) for s in first.frames.order_by("index").values_list("score", flat=True)]))

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(UI_TIMEOUT_MS)
    log_in(page, live_app, "dr-notes")

    # The review queue names patient, file and time; "Review" opens the event at its peak frame.
    page.get_by_test_id("nav-review").click()
    row = page.locator(f'[data-testid="review-row"][data-event-id="{events[0].pk}"]')
    row.wait_for()
    assert "NOTES-A" in row.inner_text() and "colonoscopy-a.mp4" in row.inner_text()
    page.wait_for_load_state("networkidle")  # the peak-frame thumbnails
    screenshot(page, "20-review-queue-names")
    row.get_by_test_id("review-link").click()
    page.locator(f'[data-testid="verdict-panel"][data-event-id="{events[0].pk}"]').wait_for()
    page.get_by_test_id("frame-index").filter(has_text=re.compile(rf"^{events[0].peak_index}$")).wait_for()
    crumbs = page.get_by_test_id("video-crumbs").inner_text()
    assert "NOTES-A" in crumbs, crumbs
    assert page.get_by_test_id("video-title").inner_text() == "colonoscopy-a.mp4"

    # The bug: 1, then a note, then Enter. The verdict key puts the typing into the judged event's note (a letter
    # must never judge the next event: the note below has c, f, u, n and e in it); the page moved on to the next
    # event, the judged one keeps its own note field, and Enter saves the note there (a new verdict with the same
    # value: the history is append-only).
    page.keyboard.press("1")
    page.keyboard.type(FIRST_NOTE)
    judged = page.locator(f'[data-testid="just-judged"][data-event-id="{events[0].pk}"]')
    judged.wait_for()
    page.locator(f'[data-testid="verdict-panel"][data-event-id="{events[1].pk}"]').wait_for()
    assert page.get_by_test_id("just-judged-note").input_value() == FIRST_NOTE
    assert page.get_by_test_id("just-judged-note-status").get_attribute("data-state") == "unsaved"
    assert not Verdict.objects.filter(event=events[1]).exists()  # no letter of the note was taken as a verdict
    page.keyboard.press("Enter")  # saves, and hands the keys back to the page
    page.locator('[data-testid="just-judged-note-status"][data-state="saved"]').wait_for()
    verdict = newest(events[0])
    assert (verdict.value, verdict.note, verdict.reviewer) == ("confirmed", FIRST_NOTE, gi)
    assert Verdict.objects.filter(event=events[0]).count() == 2
    # The next event's own note field did not get the text.
    assert page.get_by_test_id("verdict-note").input_value() == ""
    screenshot(page, "21-note-after-verdict-saved")

    # The rest of the events, by keyboard: a verdict key, then Enter with no note hands the keys back ("2 Enter").
    # The last verdict keeps its event selected; its note is typed after the verdict and saved with Enter too.
    for event in events[1:]:
        page.locator(f'[data-testid="verdict-panel"][data-event-id="{event.pk}"]').wait_for()
        page.keyboard.press("2" if event is not events[-1] else "3")
        row_verdict(page, event, "false_positive" if event is not events[-1] else "uncertain").wait_for()
        if event is not events[-1]:
            page.keyboard.press("Enter")
    last = events[-1]
    page.locator(f'[data-testid="verdict-panel"][data-event-id="{last.pk}"]').wait_for()
    page.keyboard.type(LAST_NOTE)
    page.keyboard.press("Enter")
    page.locator('[data-testid="verdict-note-status"][data-state="saved"]').wait_for()
    verdict = newest(last)
    assert (verdict.value, verdict.note) == ("uncertain", LAST_NOTE)
    # The verdict history of the selected event: who, what, when, note; newest first.
    history = page.get_by_test_id("verdict-history-row")
    history.nth(1).wait_for()
    assert history.count() == 2
    assert "dr-notes" in history.first.inner_text() and LAST_NOTE in history.first.inner_text()
    assert not Video.objects.get(pk=first.pk).events.filter(verdicts__isnull=True).exists()

    # Outline-only overlay (L): the mucosa under the mask stays visible.
    page.keyboard.press("Escape")
    page.keyboard.press("l")
    page.locator('[data-testid="mask-overlay"][data-mode="outline"]').wait_for(state="attached")
    assert page.get_by_test_id("overlay-outline").is_checked()
    screenshot(page, "22-last-event-history-outline")

    # Next never dead-ends: every event judged, the page offers the next video to review, and N goes there,
    # opening its first event at its peak frame.
    offer = page.locator(f'[data-testid="next-video"][data-video-id="{second.pk}"]')
    offer.wait_for()
    assert "NOTES-B" in offer.inner_text() and "colonoscopy-b.mp4" in offer.inner_text()
    page.keyboard.press("n")
    page.wait_for_url(re.compile(rf"/app/videos/{second.pk}\?"))
    page.locator(f'[data-testid="verdict-panel"][data-event-id="{next_events[0].pk}"]').wait_for()
    page.get_by_test_id("frame-index").filter(has_text=re.compile(rf"^{next_events[0].peak_index}$")).wait_for()
    assert "NOTES-B" in page.get_by_test_id("video-crumbs").inner_text()
    page.get_by_test_id("shortcuts-button").click()
    help_text = page.get_by_test_id("shortcuts-help").inner_text()
    assert "outline" in help_text.lower() and "note" in help_text.lower()
    screenshot(page, "23-next-video-shortcuts")
