"""manage.py bench_first_result end to end on a tiny clip: a real web server and a real `gpu` worker, an upload over
HTTP, the video's websocket; it prints every field, for the cold run (worker started with the upload), the first video
of a fresh worker once it is ready, and a warm run."""

from __future__ import annotations

import io
import json

import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from inference.synthetic import write_sample_video
from webapp.videos.management.commands.bench_first_result import FIELDS, Command
from webapp.videos.models import FrameResult, Video, VideoStatus


@pytest.mark.django_db(transaction=True)  # the server and the worker read what the command committed
def test_it_times_an_upload_to_its_first_frame_and_websocket_messages_cold_and_warm(tmp_path):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the tests' own Redis db: no stale task reaches the worker
    clip = write_sample_video(tmp_path / "clip.mp4", frames=10, size=(64, 48), fps=25.0)
    out = io.StringIO()
    call_command("bench_first_result", video=[clip], runs=1, in_place=True, as_json=True, stdout=out)
    report = json.loads(out.getvalue())

    cold, first, (warm,) = report["cold"], report["first_on_ready_worker"], report["clips"][0]["runs"]
    assert report["worker_warm"] and report["clips"][0]["frames"] == 10
    for run in (cold, first, warm):
        for name in ("task_start", "first_frame", "first_progress", "done"):  # an event depends on the clip
            assert run[name] is not None and run[name] >= 0, (name, run)
        assert set(FIELDS) <= set(run) and run["upload_s"] > 0
        assert run["task_start"] <= run["first_frame"] <= run["done"]
        # Every websocket message as it came: seconds, frames done, events; the last one says done.
        assert run["messages"][-1][1] == 10
    assert cold["worker_warm_s"] is not None and cold["worker_first_frame_s"] >= cold["first_frame"]
    assert first["worker_ready_s"] > 0  # the second worker's start to its engine warm
    assert report["clips"][0]["median"]["done"] == warm["done"]
    # The three uploads went through the real path: stored and processed, every frame once.
    assert Video.objects.filter(status=VideoStatus.DONE).count() == 3
    assert FrameResult.objects.count() == 30

    text = io.StringIO()
    Command(stdout=text).print_report(report)  # what the command prints without --json
    assert "cold (clip.mp4, worker started with the upload): task_start" in text.getvalue()
    assert "clip.mp4 (10 frames):\n  run 1: task_start" in text.getvalue()
    assert "first video on a fresh worker once it is ready (clip.mp4; worker start to ready" in text.getvalue()
