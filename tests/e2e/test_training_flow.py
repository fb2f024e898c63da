"""The retraining loop in a real browser: an admin starts a fine-tuning run from the models page, follows it live
on the run page (progress and the loss / holdout Dice plot over the websocket), reads the gate's report, and
promotes the candidate with a written reason when the gate refuses; the models page then shows it active.
Real PostgreSQL, Redis, uvicorn and a Celery worker on queue `train`."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from tests.e2e.test_review_flow import UI_TIMEOUT_MS, log_in
from tests.webapp.accounts.factories import make_user
from tests.webapp.mlops.factories import make_labelled_studies
from tests.webapp.videos.worker import start_worker, stop_worker
from webapp.accounts.models import Role
from webapp.mlops.models import ModelVersion, RunStatus, TrainingRun

# Two epochs of the tiny model on 6 frames, then the gate: seconds, after the worker's start (~15 s).
RUN_TIMEOUT_MS = 180_000

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_fine_tunes_follows_the_run_and_promotes_with_a_reason(live_app, browser, screenshot, tmp_path):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    admin = make_user(Role.ADMIN, username="admin-e2e")
    make_labelled_studies(tmp_path, admin=admin)
    # An impossible margin: the gate refuses, so the page must ask for a written reason.
    worker = start_worker(tmp_path / "train-worker.log", queues="train", env={"GATE_MIN_DICE_GAIN": "2"})
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(UI_TIMEOUT_MS)
        log_in(page, live_app, admin.username)
        page.get_by_test_id("nav-models").click()
        page.get_by_test_id("fine-tune-toggle").click()
        page.get_by_test_id("fine-tune-epochs").fill("3")
        screenshot(page, "10-fine-tune-form")
        page.get_by_test_id("fine-tune-submit").click()

        run_page = page.get_by_test_id("training-run")
        run_page.wait_for()
        run = TrainingRun.objects.get()
        assert run.config["epochs"] == 3 and run.started_by == admin
        page.locator("[data-testid=training-run][data-status=succeeded]").wait_for(timeout=RUN_TIMEOUT_MS)
        # The plot drew one point per epoch, pushed over the websocket or polled.
        page.locator("[data-testid=loss-plot][data-points='3']").wait_for()
        page.get_by_test_id("gate-report").wait_for()
        assert page.get_by_test_id("gate-report").get_attribute("data-passed") == "false"
        assert page.get_by_test_id("patient-row").count() == 1
        assert "LOOP-E" in page.get_by_test_id("run-snapshot").inner_text()
        screenshot(page, "11-training-run-gated")

        page.get_by_test_id("run-promote").click()
        dialog = page.get_by_test_id("promote-dialog")
        dialog.wait_for()
        page.get_by_test_id("promote-reason").fill("e2e: the margin was set out of reach on purpose")
        screenshot(page, "12-promote-with-reason")
        page.get_by_test_id("promote-confirm").click()
        dialog.wait_for(state="detached")
        run.refresh_from_db()
        assert run.status == RunStatus.SUCCEEDED
        active = ModelVersion.objects.get(is_active=True)
        assert active.pk == run.candidate_id and active.override_reason.startswith("e2e:")

        page.get_by_test_id("nav-models").click()
        page.locator(f"[data-testid=model-row][data-model-id='{active.pk}'][data-active=true]").wait_for()
        screenshot(page, "13-models-after-promotion")
    finally:
        stop_worker(worker)
