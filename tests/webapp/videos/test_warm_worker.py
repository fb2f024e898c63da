"""Warm workers (issue 13): a real `gpu` worker loads and runs the active model's engine as it starts, before any task,
its first video uses that engine (no second load), and a promoted model is warmed while the worker is idle."""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from tests.webapp.mlops.factories import write_tiny_checkpoint
from tests.webapp.videos.worker import WORKER_TIMEOUT_S, start_worker
from webapp.celery import app as celery_app
from webapp.mlops.services import model_version_ensure_active, model_version_promote, model_version_register
from webapp.videos.models import Video, VideoStatus

pytestmark = pytest.mark.django_db(transaction=True)  # the worker process reads what the test committed


def _engines(until, timeout_s: float = WORKER_TIMEOUT_S) -> dict:
    """The answer of the one running worker to `inspect engines` (webapp/videos/tasks.py), asked until until(answer)."""
    deadline = time.monotonic() + timeout_s
    answer: dict = {}
    while time.monotonic() < deadline:
        replies = celery_app.control.broadcast("engines", reply=True, timeout=1.0)
        if replies:
            ((_, answer),) = replies[0].items()
            if until(answer):
                return answer
        time.sleep(0.3)
    raise AssertionError(f"the worker never answered as expected within {timeout_s} s; last answer {answer}")


def _wait_done(video_id: int) -> Video:
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while time.monotonic() < deadline:
        video = Video.objects.get(pk=video_id)
        if video.status not in (VideoStatus.QUEUED, VideoStatus.PROCESSING):
            return video
        time.sleep(0.2)
    raise AssertionError(f"video {video_id} not done within {WORKER_TIMEOUT_S} s")


def test_a_gpu_worker_warms_the_active_model_before_its_first_task_and_the_video_uses_it(
        tmp_path, procs, empty_broker, study, owner):
    from tests.webapp.videos.factories import make_video

    active = model_version_ensure_active()
    log = tmp_path / "worker.log"
    procs.append(start_worker(log))

    answer = _engines(lambda a: a.get("warm"))  # no task was sent: the worker warmed it on its own
    assert answer["warm"] == [active.sha256] and answer["loaded"] == [active.sha256]
    assert answer["warmer"]["ready"] and answer["warmer"]["error"] is None
    text = log.read_text()
    assert "warm in" in text and "Task videos." not in text  # warm before any task ran

    video = make_video(tmp_path, study, owner, frames=8)  # the upload service queues it after commit
    assert _wait_done(video.pk).status == VideoStatus.DONE
    text = log.read_text()
    # The video ran on the engine the warm-up loaded: the model was loaded once in this process.
    assert text.count(f"loaded the engine of model {active.version} (sha256 {active.sha256[:12]})") == 1
    assert _engines(lambda a: True)["warm"] == [active.sha256]


def test_a_promoted_model_is_warmed_by_an_idle_worker_before_its_first_video(tmp_path, procs, empty_broker, owner):
    from tests.webapp.accounts.factories import make_user
    from webapp.accounts.models import Role

    first = model_version_ensure_active()
    procs.append(start_worker(tmp_path / "worker.log", env={"WORKER_WARM_POLL_S": "0.3"}))
    _engines(lambda a: a.get("warm") == [first.sha256])

    second = model_version_register(checkpoint_path=write_tiny_checkpoint(tmp_path / "second.pt", version="second"))
    assert second.sha256 != first.sha256 and not second.is_active
    model_version_promote(version=second, user=make_user(Role.ADMIN))

    # No video was sent: the idle worker saw the promotion, warmed the new model and dropped the old one.
    answer = _engines(lambda a: a.get("warm") == [second.sha256])
    assert answer["loaded"] == [second.sha256]
    assert settings.WORKER_WARM  # the default the workers above ran with
