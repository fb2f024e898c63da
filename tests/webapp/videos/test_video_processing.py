import asyncio

import pytest
from channels.layers import get_channel_layer

from tests.webapp.studies.factories import make_study
from tests.webapp.videos.factories import make_video
from webapp.mlops.models import ModelVersion
from webapp.videos import rle, services
from webapp.videos.models import FrameResult, PolypEvent, Video, VideoStatus
from webapp.videos.progress import video_group
from webapp.videos.services import video_cancel, video_process

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
    from webapp.videos.events import find_events_at

    expected = [(e.start, e.end, e.peak) for e in find_events_at(scores, 10.0)]
    stored = list(PolypEvent.objects.filter(video=video).values_list("start_index", "end_index", "peak_index"))
    assert stored == expected


def test_a_retried_task_resumes_after_the_last_stored_frame(video):
    video_process(video_id=video.pk)
    # Simulate a worker killed after 2 batches: frames 8.. lost, status still processing.
    FrameResult.objects.filter(video=video, index__gte=8).delete()
    FrameResult.objects.filter(video=video, index=0).update(score=0.123456)  # a marker the retry must not touch
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PROCESSING, frames_done=8)
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
    real_engine_for = services.engine_for

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

    monkeypatch.setattr(services, "engine_for", engine_that_cancels_after_one_batch)
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

