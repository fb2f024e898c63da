import asyncio

import pytest
from channels.layers import get_channel_layer
from django.db import OperationalError

from tests.webapp.db import backends, wait_for_backends
from tests.webapp.studies.factories import make_study
from tests.webapp.videos.factories import make_video
from webapp.mlops.models import ModelVersion
from webapp.videos import pipeline, rle
from webapp.videos.events import find_events_at
from webapp.videos.models import FrameResult, PolypEvent, RangeStatus, Video, VideoRange, VideoStatus
from webapp.videos.pipeline import video_process
from webapp.videos.progress import video_group
from webapp.videos.services import video_cancel
from webapp.videos.tasks import process_video
from webapp.videos.writer import DEFAULT_DEPTH

pytestmark = pytest.mark.django_db


@pytest.fixture
def video(tmp_path, owner):
    return make_video(tmp_path, make_study(owner), owner, frames=12)


def test_it_stores_every_frame_once_with_the_model_version(video):
    video_process(video_id=video.pk)
    video.refresh_from_db()
    assert video.status == VideoStatus.DONE
    assert video.frames_done == video.frame_count == 12
    assert video.model_version.version == "test-tiny" and video.model_version.is_active
    frames = list(FrameResult.objects.filter(video=video).order_by("index"))
    assert [f.index for f in frames] == list(range(12))
    assert {f.model_version_id for f in frames} == {video.model_version_id}
    for f in frames:
        assert 0.0 <= f.score <= 1.0 and f.time_s == pytest.approx(f.index / 10.0)
        mask = rle.decode(f.mask_rle, video.height, video.width)
        assert mask.mean() == pytest.approx(f.area)
        assert f.flagged == (f.score >= 0.5)
    assert video.processing_fps > 0


def test_events_are_stored_from_the_frame_scores(video):
    video_process(video_id=video.pk)
    scores = list(FrameResult.objects.filter(video=video).order_by("index").values_list("score", flat=True))
    expected = [(e.start, e.end, e.peak) for e in find_events_at(scores, 10.0)]
    stored = list(PolypEvent.objects.filter(video=video).values_list("start_index", "end_index", "peak_index"))
    assert stored == expected


def test_a_retried_task_resumes_after_the_last_stored_frame(video):
    video_process(video_id=video.pk)
    # Simulate a worker killed after 2 batches: frames 8.. lost, status still processing, its range's lease expired.
    FrameResult.objects.filter(video=video, index__gte=8).delete()
    FrameResult.objects.filter(video=video, index=0).update(score=0.123456)  # a marker the retry must not touch
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PROCESSING, frames_done=8)
    VideoRange.objects.filter(video=video).update(status=RangeStatus.PROCESSING, frames_done=8, heartbeat_at=None,
                                                  lease_token="killed")
    video_process(video_id=video.pk)
    assert list(FrameResult.objects.filter(video=video).order_by("index").values_list("index", flat=True)) == list(
        range(12)
    )
    assert FrameResult.objects.get(video=video, index=0).score == 0.123456
    video.refresh_from_db()
    assert video.status == VideoStatus.DONE and video.frames_done == 12


def test_a_finished_or_cancelled_video_is_not_processed_again(video, owner):
    video_cancel(video=video, user=owner)
    video_process(video_id=video.pk)
    assert not FrameResult.objects.filter(video=video).exists()
    assert Video.objects.get(pk=video.pk).status == VideoStatus.CANCELLED


def test_cancelling_stops_processing_at_the_next_batch(video, owner, monkeypatch):
    real_engine_for = pipeline.engine_for

    def engine_that_cancels_after_one_batch(model_version):
        engine = real_engine_for(model_version)
        real_predict = engine.predict_batch

        class Once:
            batch = engine.batch

            def predict_batch(self, frames, start_index=0):
                results = real_predict(frames, start_index)
                if start_index == 0:  # the user presses cancel while batch 0 runs
                    video_cancel(video=Video.objects.get(pk=video.pk), user=owner)
                return results

        return Once()

    monkeypatch.setattr(pipeline, "engine_for", engine_that_cancels_after_one_batch)
    video_process(video_id=video.pk)
    video.refresh_from_db()
    assert video.status == VideoStatus.CANCELLED
    assert FrameResult.objects.filter(video=video).count() == 4  # the batch in flight, then it stopped
    assert not PolypEvent.objects.filter(video=video).exists()


def test_an_unreadable_file_fails_the_video_with_a_message(video, media_root):
    (media_root / video.file.name).write_bytes(b"garbage")
    video_process(video_id=video.pk)
    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED
    assert "video" in video.error and str(media_root) not in video.error


def test_a_changed_checkpoint_file_fails_the_video_instead_of_mislabelling_masks(video):
    ModelVersion.objects.create(version="tampered", checkpoint_path=__file__, sha256="0" * 64, is_active=True)
    video_process(video_id=video.pk)
    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED and "sha256" in video.error


def test_progress_and_the_final_status_are_broadcast_to_the_video_group(video):
    layer = get_channel_layer()

    async def subscribe():
        channel = await layer.new_channel()
        await layer.group_add(video_group(video.pk), channel)
        return channel

    async def drain(channel):
        messages = []
        while True:
            message = await asyncio.wait_for(layer.receive(channel), timeout=5)
            messages.append(message["payload"])
            if message["payload"]["status"] != VideoStatus.PROCESSING:
                return messages

    channel = asyncio.run(subscribe())
    video_process(video_id=video.pk)
    messages = asyncio.run(drain(channel))
    assert messages[0]["status"] == "processing" and messages[0]["frames_done"] == 4 and messages[0]["fps"] > 0
    assert messages[0]["eta_s"] is not None and isinstance(messages[0]["events"], list)
    final = messages[-1]
    assert final["status"] == "done" and final["frames_done"] == 12 and final["frame_count"] == 12
    assert len(final["events"]) == PolypEvent.objects.filter(video=video).count()



# --- the writer thread: the production path (no transaction around the task, so the writer has its own
# connection); transactional tests, as a Celery worker sees the database.


def _engine_with_hook(monkeypatch, hook) -> list[int]:
    """Patch the engine so that hook(start_index) runs after each batch is computed; returns the start
    index of every batch the engine computed."""
    real_engine_for = pipeline.engine_for
    calls: list[int] = []

    def patched(model_version):
        engine = real_engine_for(model_version)

        class Hooked:
            batch = engine.batch

            def predict_batch(self, frames, start_index=0):
                results = engine.predict_batch(frames, start_index)
                calls.append(start_index)
                hook(start_index)
                return results

        return Hooked()

    monkeypatch.setattr(pipeline, "engine_for", patched)
    return calls


def _stored(video) -> list[tuple[int, int]]:
    return list(FrameResult.objects.filter(video=video).order_by("index").values_list("index", "pk"))


@pytest.mark.django_db(transaction=True)
def test_an_error_in_the_writer_fails_the_video_with_its_message(tmp_path, owner, monkeypatch):
    video = make_video(tmp_path, make_study(owner), owner, frames=12)
    real_store = pipeline._store_results

    def store_fails_at_the_second_batch(video, results, fps):
        if results[0].index == 4:
            raise RuntimeError("disk full")
        real_store(video, results, fps)

    monkeypatch.setattr(pipeline, "_store_results", store_fails_at_the_second_batch)
    open_before = backends()
    result = process_video.apply(args=[video.pk])
    assert result.failed() and str(result.result) == "disk full"  # re-raised in the task, not swallowed
    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED and video.error == "processing failed: RuntimeError: disk full"
    assert [index for index, _ in _stored(video)] == [0, 1, 2, 3]  # nothing after the failed batch
    assert wait_for_backends(open_before) == open_before  # the writer's connection was closed


@pytest.mark.django_db(transaction=True)
def test_cancelling_mid_video_stops_the_engine_and_the_writes(tmp_path, owner, monkeypatch):
    video = make_video(tmp_path, make_study(owner), owner, frames=40)  # 10 batches of 4

    def cancel_during_the_third_batch(start_index):
        if start_index == 8:
            video_cancel(video=Video.objects.get(pk=video.pk), user=owner)

    calls = _engine_with_hook(monkeypatch, cancel_during_the_third_batch)
    video_process(video_id=video.pk)
    video.refresh_from_db()
    assert video.status == VideoStatus.CANCELLED  # not overwritten by a late progress update or the end
    # The engine ran on only while the writer had not noticed yet: at most the queue's depth past the cancel.
    assert len(calls) <= 3 + DEFAULT_DEPTH < 10
    stored = [index for index, _ in _stored(video)]
    assert stored == list(range(len(stored))) and len(stored) <= 12 and video.frames_done <= 12


@pytest.mark.django_db(transaction=True)
def test_after_a_writer_failure_the_retried_task_stores_every_frame_exactly_once(tmp_path, owner, monkeypatch):
    video = make_video(tmp_path, make_study(owner), owner, frames=20)  # 5 batches of 4
    real_store = pipeline._store_results
    failed: list[int] = []
    at_retry: dict = {}

    def connection_lost_after_the_third_insert(video, results, fps):
        if failed and not at_retry:  # the retry's first batch: what did the failed attempt leave?
            at_retry.update(first=results[0].index, rows=_stored(video),
                            video=Video.objects.values("status", "frames_done").get(pk=video.pk))
        real_store(video, results, fps)
        if results[0].index == 8 and not failed:
            failed.append(8)  # the rows are in, the progress UPDATE never runs
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(pipeline, "_store_results", connection_lost_after_the_third_insert)
    result = process_video.apply(args=[video.pk])  # eager: the task's autoretry runs the retry at once
    assert result.successful() and failed == [8]
    # The failed attempt left frames 0..7 and progress 8 (a batch's rows and its progress commit together, under
    # the lease: the failed batch left nothing), and did not fail the video; the retry (same lease) resumed after
    # the last stored frame.
    assert at_retry["video"] == {"status": VideoStatus.PROCESSING, "frames_done": 8}
    assert [index for index, _ in at_retry["rows"]] == list(range(8)) and at_retry["first"] == 8
    after = _stored(video)
    assert [index for index, _ in after] == list(range(20))  # each frame once, none missing
    assert after[:8] == at_retry["rows"]  # the rows stored before the retry were kept, not written again
    video.refresh_from_db()
    assert video.status == VideoStatus.DONE and video.frames_done == video.frame_count == 20
    scores = list(FrameResult.objects.filter(video=video).order_by("index").values_list("score", flat=True))
    expected = [(e.start, e.end, e.peak) for e in find_events_at(scores, video.fps)]
    assert list(PolypEvent.objects.filter(video=video).values_list("start_index", "end_index", "peak_index")) \
        == expected
