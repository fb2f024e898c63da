"""Results stream from the first frames: on an engine that runs its model frame by frame and slowly (the CPU), the
first frame is stored alone and the batches ramp up to the engine's batch (webapp/videos/pipeline.STREAM_FRAME_S)."""

from __future__ import annotations

import pytest

from tests.webapp.studies.factories import make_study
from tests.webapp.videos.factories import make_video
from webapp.videos import pipeline
from webapp.videos.models import FrameResult, Video, VideoStatus
from webapp.videos.pipeline import video_process

pytestmark = pytest.mark.django_db


def _recorded_batches(monkeypatch) -> list[list[int]]:
    """The frame indices of every stored batch, in order (the real write runs)."""
    batches: list[list[int]] = []
    real_store = pipeline._store_results

    def store(video, results, fps):
        batches.append([r.index for r in results])
        real_store(video, results, fps)

    monkeypatch.setattr(pipeline, "_store_results", store)
    return batches


def test_a_slow_engine_stores_its_first_frame_alone_then_ramps_up_to_the_batch(tmp_path, owner, monkeypatch):
    monkeypatch.setattr(pipeline, "STREAM_FRAME_S", 0.0)  # every frame counts as slow: the shipped model on a CPU
    batches = _recorded_batches(monkeypatch)
    study = make_study(owner)
    first, second = make_video(tmp_path, study, owner, frames=12), make_video(tmp_path, study, owner, frames=12)
    video_process(video_id=first.pk)  # the engine may be cold here: a second frame confirms before streaming
    batches.clear()
    video_process(video_id=second.pk)  # warm: the first frame is stored alone
    assert [len(b) for b in batches] == [1, 1, 2, 4, 4]  # batches of 4 (tests' INFERENCE_BATCH) after the ramp
    assert [b[0] for b in batches] == [0, 1, 2, 4, 8]
    for video in (first, second):
        video.refresh_from_db()
        assert video.status == VideoStatus.DONE and video.frames_done == 12
        assert list(FrameResult.objects.filter(video=video).order_by("index").values_list("index", flat=True)) == \
            list(range(12))


def test_a_fast_engine_stores_whole_batches_from_the_first(tmp_path, owner, monkeypatch):
    monkeypatch.setattr(pipeline, "STREAM_FRAME_S", 3600.0)  # no engine is that slow
    batches = _recorded_batches(monkeypatch)
    video = make_video(tmp_path, make_study(owner), owner, frames=10)
    video_process(video_id=video.pk)
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert Video.objects.get(pk=video.pk).status == VideoStatus.DONE
