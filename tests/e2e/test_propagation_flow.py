"""Mask propagation in Chromium: an annotator corrects a frame of a real CVC-ColonDB clip, propagates it to the
neighbours (a real Celery worker runs the task), opens a proposal frame, sees it marked as a proposal and accepts
the run in one action. A gastroenterologist gets a view-only editor from the start (regression: tools used to
paint and only Ctrl+S said 403). Real PostgreSQL, Redis, uvicorn, worker and the shipped model."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from inference.checkpoint import default_checkpoint
from tests.e2e.test_review_flow import log_in, paint_stroke
from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from tests.webapp.videos.worker import start_worker, stop_worker
from webapp.accounts.models import Role
from webapp.annotations.models import MaskRevision, Propagation, RevisionKind
from webapp.mlops.services import model_version_register
from webapp.studies.services import study_add_member
from webapp.videos.models import Video
from webapp.videos.pipeline import video_process
from webapp.videos.services import video_upload

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
# 19 frames, 574x500; a clip whose frames the flow can follow (on clip 1 the polyp jumps too far between its
# selected frames, and propagation rightly stops at once: see the README's per-sequence table).
CLIP = DATASETS / "videos" / "colondb_seq13_5fps.mp4"
UI_TIMEOUT_MS = 20_000
WORKER_TIMEOUT_S = 120  # the worker's start (Django + torch) on two busy cores, then well under a second of work
KEY = 3

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_annotator_propagates_a_correction_and_accepts_the_proposals(live_app, browser, screenshot, tmp_path):
    assert CLIP.is_file(), f"{CLIP} is missing: the browser test needs ../shared/datasets"
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    model_version_register(checkpoint_path=default_checkpoint(), activate=True)
    gi = make_user(Role.GASTROENTEROLOGIST, username="dr-prop")
    annotator = make_user(Role.ANNOTATOR, username="ann-prop")
    study = make_study(gi, "E2E-PROP-1")
    study_add_member(study=study, user=annotator)
    video = video_upload(study=study, user=gi,
                         upload=SimpleUploadedFile(CLIP.name, CLIP.read_bytes(), content_type="video/mp4"))
    # The pipeline, in this process (the worker below only propagates); in a thread, because Playwright's event
    # loop runs in this one and the pipeline's progress broadcasts use async_to_sync.
    pipeline = threading.Thread(target=video_process, kwargs={"video_id": video.pk})
    pipeline.start()
    pipeline.join()
    worker = start_worker(tmp_path / "worker.log", queues="gpu")
    try:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_default_timeout(UI_TIMEOUT_MS)
        log_in(page, live_app, "ann-prop")
        page.goto(f"{live_app}/app/videos/{video.pk}/frames/{KEY}/edit")
        title = page.get_by_test_id("editor-title")
        title.filter(has_text="E2E-PROP-1").wait_for()
        assert CLIP.name in title.inner_text() and f"frame {KEY}" in title.inner_text()
        # Before a saved correction, propagation explains what it needs.
        assert page.get_by_test_id("propagate").is_disabled()
        page.get_by_test_id("tool-brush").click()
        paint_stroke(page, 60, 30)
        page.get_by_test_id("save").click()
        page.get_by_test_id("save-status").filter(has_text="Saved").wait_for()
        page.get_by_test_id("propagate-forward").fill("3")
        page.get_by_test_id("propagate-backward").fill("2")
        page.get_by_test_id("propagate").click()
        page.locator('[data-testid="propagation-job"][data-status="done"]').wait_for(timeout=WORKER_TIMEOUT_S * 1000)
        screenshot(page, "20-propagation-done")
        job = Propagation.objects.get(video=video)
        proposals = {r.frame_index: r for r in MaskRevision.objects.filter(video=video, kind=RevisionKind.PROPAGATED)}
        assert job.result["proposals"] == len(proposals) >= 1
        assert set(proposals) <= {1, 2, 4, 5, 6}
        source = MaskRevision.objects.get(video=video, frame_index=KEY)
        assert all(r.propagated_from_id == source.pk for r in proposals.values())
        page.get_by_test_id("proposal-frames").wait_for()

        # A proposal frame says what it is; the run is accepted in one action.
        frame = min(f for f in proposals if f > KEY) if any(f > KEY for f in proposals) else max(proposals)
        page.goto(f"{live_app}/app/videos/{video.pk}/frames/{frame}/edit")
        page.get_by_test_id("proposal-banner").wait_for()
        page.locator('[data-testid="revision-row"][data-kind="propagated"]').first.wait_for()
        page.wait_for_function("() => { const i = document.querySelector('.me-stage img'); return i && i.complete; }")
        screenshot(page, "21-proposal-frame")
        page.get_by_test_id("accept-run").click()
        page.get_by_test_id("proposal-banner").wait_for(state="detached")
        side = [f for f in proposals if (f > KEY) == (frame > KEY)]
        for f in side:
            head = MaskRevision.objects.get(video=video, frame_index=f, next_revision__isnull=True)
            assert head.kind == RevisionKind.PERSON and head.based_on_id == proposals[f].pk
            assert head.author == annotator and head.rle == proposals[f].rle
        screenshot(page, "22-proposals-accepted")

        # The gastroenterologist's editor is view only from the start: nothing paints, nothing is posted.
        gi_page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        gi_page.set_default_timeout(UI_TIMEOUT_MS)
        log_in(gi_page, live_app, "dr-prop")
        before = MaskRevision.objects.count()
        gi_page.goto(f"{live_app}/app/videos/{video.pk}/frames/{KEY + 5}/edit")
        gi_page.get_by_test_id("read-only-notice").wait_for()
        assert gi_page.get_by_test_id("tool-brush").is_disabled() and gi_page.get_by_test_id("save").is_disabled()
        paint_stroke(gi_page, 60, 30)
        gi_page.keyboard.press("Control+s")
        time.sleep(0.5)
        assert gi_page.get_by_test_id("mask-editor").get_attribute("data-dirty") == "false"
        assert not gi_page.get_by_test_id("brush-cursor").is_visible()  # a drag pans; no brush is offered
        assert gi_page.get_by_test_id("propagation-panel").count() == 0
        screenshot(gi_page, "23-editor-view-only")
        assert MaskRevision.objects.count() == before
        assert Video.objects.get(pk=video.pk).status == "done"
    finally:
        stop_worker(worker)
