import io
import re

import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from inference.synthetic import write_sample_video
from tests.webapp.videos.worker import WORKER_TIMEOUT_S, start_worker, stop_worker
from webapp.videos.models import FrameResult, Video, VideoStatus


@pytest.mark.django_db
def test_it_prints_engine_and_pipeline_rates_and_stores_the_video(tmp_path):
    path = write_sample_video(tmp_path / "bench.mp4", frames=16, size=(64, 48), fps=25.0)
    out = io.StringIO()
    call_command("bench_pipeline", video=path, stdout=out)
    text = out.getvalue()
    engine = float(re.search(r"engine:\s+([\d.]+)", text).group(1))
    pipeline = float(re.search(r"pipeline:\s+([\d.]+)", text).group(1))
    assert engine > 0 and pipeline > 0 and "of the engine rate" in text
    video = Video.objects.get()
    assert video.status == VideoStatus.DONE and FrameResult.objects.filter(video=video).count() == 16


@pytest.mark.django_db
def test_storage_only_prints_the_writes_time_per_frame_and_the_headroom_over_an_engine(tmp_path):
    path = write_sample_video(tmp_path / "bench.mp4", frames=10, size=(64, 48), fps=25.0)
    out = io.StringIO()
    call_command("bench_pipeline", video=path, storage_only=True, repeats=2, engine_ms=2.0, stdout=out)
    text = out.getvalue()
    ms = float(re.search(r"storage:\s+([\d.]+) ms/frame", text).group(1))
    headroom = float(re.search(r"headroom:\s+([\d.]+)x an engine at 2.0 ms/frame", text).group(1))
    assert ms > 0 and headroom == pytest.approx(2.0 / ms, rel=0.01)
    # The clip was really stored, with the model's outputs, and the video finished like a processed one.
    video = Video.objects.get()
    assert video.status == VideoStatus.DONE and video.frames_done == 10
    assert list(FrameResult.objects.filter(video=video).order_by("index").values_list("index", flat=True)) == list(
        range(10))


@pytest.mark.django_db(transaction=True)
def test_via_queue_it_waits_for_a_real_worker(tmp_path):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the tests' own Redis db: no stale tasks
    path = write_sample_video(tmp_path / "bench.mp4", frames=12, size=(64, 48), fps=25.0)
    worker = start_worker(tmp_path / "worker.log")
    try:
        out = io.StringIO()
        call_command("bench_pipeline", video=path, via_queue=True, timeout=WORKER_TIMEOUT_S, stdout=out)
    finally:
        stop_worker(worker)
    assert "pipeline:" in out.getvalue()
    assert Video.objects.get().status == VideoStatus.DONE


STAGES = {"decode", "preprocess", "model", "postprocess", "rle", "insert", "progress", "broadcast"}


@pytest.mark.django_db(transaction=True)
def test_the_stub_engine_prints_the_pipelines_ceiling_and_its_stages_as_json(tmp_path):
    import json

    path = write_sample_video(tmp_path / "bench.mp4", frames=30, size=(64, 48), fps=25.0)
    out = io.StringIO()
    call_command("bench_pipeline", video=path, engine="stub", json=True, decode=True, stdout=out)
    report = json.loads(out.getvalue())
    assert report["ceiling_fps"] > 0 and report["frames"] == 30 and report["engine"] == "stub"
    assert STAGES <= set(report["stages_ms_per_frame"])
    assert all(t["wall_ms"] >= 0 and t["cpu_ms"] >= 0 for t in report["stages_ms_per_frame"].values())
    assert report["stages_ms_per_frame"]["decode"]["thread"] == "frame-prefetch"
    assert report["decode_alone"]["opencv"]["fps"] > 0
    # The real worker path stored the stub's blob: every frame once, events found, the video done.
    video = Video.objects.get(pk=report["video_id"])
    assert video.status == VideoStatus.DONE and video.frames_done == 30
    assert FrameResult.objects.filter(video=video).count() == 30
    assert FrameResult.objects.filter(video=video, area__gt=0).exists() and report["events"] >= 1


@pytest.mark.django_db(transaction=True)
def test_the_model_engine_prints_engine_and_pipeline_rates_from_one_run(tmp_path):
    path = write_sample_video(tmp_path / "bench.mp4", frames=12, size=(64, 48), fps=25.0)
    out = io.StringIO()
    call_command("bench_pipeline", video=path, engine="model", store="insert", stdout=out)
    text = out.getvalue()
    engine = float(re.search(r"engine:\s+([\d.]+)", text).group(1))
    pipeline = float(re.search(r"pipeline:\s+([\d.]+)", text).group(1))
    assert engine > 0 and pipeline > 0 and "of the engine rate" in text and "postprocess" in text
    assert FrameResult.objects.filter(video=Video.objects.get()).count() == 12


@pytest.mark.django_db(transaction=True)
def test_with_the_device_work_free_only_the_hosts_work_is_left(tmp_path):
    import json

    path = write_sample_video(tmp_path / "bench.mp4", frames=20, size=(64, 48), fps=25.0)
    out = io.StringIO()
    call_command("bench_pipeline", video=path, engine="stub", device_work="free", json=True, stdout=out)
    report = json.loads(out.getvalue())
    assert report["device_work"] == "free" and report["ceiling_fps"] > 0
    assert "upload" in report["stages_ms_per_frame"] and "preprocess" not in report["stages_ms_per_frame"]
    assert FrameResult.objects.filter(video_id=report["video_id"], area__gt=0).count() >= 1
