"""The range lease in one process (webapp/videos/leases.py), against the real PostgreSQL and Redis: one holder at a
time, a taken-over holder stores nothing more, the last retry hands the range back, a range interrupted too often fails
its video after VIDEO_MAX_ATTEMPTS, and the reconciler re-enqueues exactly what nobody holds or waits for.
The same faults with real worker processes: tests/webapp/videos/test_reliability.py and test_reliability_ranges.py."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.db import OperationalError
from django.utils import timezone

from tests.webapp.studies.factories import make_study
from tests.webapp.videos.factories import make_video
from webapp.leases import new_token, waiting_in_broker
from webapp.mlops.engines import engine_for
from webapp.videos import pipeline
from webapp.videos.leases import range_claim, videos_unfinished
from webapp.videos.models import FrameResult, PolypEvent, RangeStatus, Video, VideoRange, VideoStatus
from webapp.videos.pipeline import StoredRun, range_process, video_plan, video_process
from webapp.videos.tasks import process_range, process_video, recover_videos, send_range

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_broker():
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    broker.flushdb()
    return broker


@pytest.fixture
def video(tmp_path, owner):
    video = make_video(tmp_path, make_study(owner), owner, frames=12)  # its message is in Redis now
    redis.Redis.from_url(django_settings.REDIS_URL).flushdb()  # these tests run the work themselves
    return video


def _batch(video: Video, start: int, n: int = 4):
    from inference.io import probe

    frames = list(probe(video.file.path).frames())[start:start + n]
    return engine_for(Video.objects.get(pk=video.pk).model_version).predict_batch(frames, start)


def _only_range(video: Video) -> VideoRange:
    return VideoRange.objects.get(video=video)


def test_a_second_claim_finds_the_range_held_and_a_duplicate_message_does_nothing(video):
    (range_id,) = video_plan(video_id=video.pk)
    assert range_claim(range_id=range_id, token=new_token()) is not None
    assert range_claim(range_id=range_id, token=new_token()) is None  # a redelivered or duplicated message
    range_process(range_id=range_id)  # what that message's task runs: nothing
    process_video.apply(args=[video.pk])  # the video's own message again: planned already, nothing
    assert not FrameResult.objects.filter(video=video).exists()
    assert _only_range(video).attempts == 1 and Video.objects.get(pk=video.pk).status == VideoStatus.PROCESSING


def test_a_holder_taken_over_after_its_lease_expired_stores_nothing_more(video, settings):
    stalled = new_token()
    (range_id,) = video_plan(video_id=video.pk)
    part = range_claim(range_id=range_id, token=stalled)
    run = StoredRun(part=part, scores=[], began=time.monotonic(), token=stalled)
    assert run.write(_batch(video, 0))  # frames 0-3, while it holds the lease
    # It stalls past the lease (a frozen VM, a GC pause); another worker takes the range over.
    expired = timezone.now() - timedelta(seconds=settings.VIDEO_LEASE_S + 1)
    VideoRange.objects.filter(pk=range_id).update(heartbeat_at=expired)
    assert range_claim(range_id=range_id, token=new_token()) is not None
    # The stalled holder wakes up with its next batch: refused, nothing stored, and it stops.
    assert run.write(_batch(video, 4)) is False and run.cancelled
    assert sorted(FrameResult.objects.filter(video=video).values_list("index", flat=True)) == [0, 1, 2, 3]
    assert _only_range(video).attempts == 2


def test_the_last_retry_of_a_database_error_hands_the_range_back_queued(video, monkeypatch, _empty_broker):
    def insert_fails(video, results, fps):
        raise OperationalError("could not extend file: No space left on device")  # the database is up, but refuses

    monkeypatch.setattr(pipeline, "_store_results", insert_fails)
    result = process_video.apply(args=[video.pk], retries=django_settings.VIDEO_TASK_MAX_RETRIES)  # the last one
    assert result.successful()  # handled: nothing left for Celery to log as a stranded failure
    part = _only_range(video)
    assert part.status == RangeStatus.QUEUED and part.lease_token == "" and part.attempts == 1
    assert Video.objects.get(pk=video.pk).status == VideoStatus.PROCESSING  # its other ranges may still run
    assert waiting_in_broker("videos.process_range", "gpu") == {part.pk}  # queued again in the broker too


def test_a_range_interrupted_too_often_fails_its_video_with_the_reason(video, settings):
    (range_id,) = video_plan(video_id=video.pk)
    VideoRange.objects.filter(pk=range_id).update(status=RangeStatus.PROCESSING, attempts=settings.VIDEO_MAX_ATTEMPTS,
                                                  lease_holder="gpu-3:77", heartbeat_at=None)
    range_process(range_id=range_id)
    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED
    assert f"interrupted {settings.VIDEO_MAX_ATTEMPTS} times" in video.error and "gpu-3:77" in video.error
    assert "frames 0-11" in video.error


def test_the_reconciler_re_enqueues_what_nobody_holds_or_waits_for(tmp_path, owner, settings, _empty_broker):
    study = make_study(owner)
    lost, waiting, fresh, split, other = (make_video(tmp_path, study, owner) for _ in range(5))
    _empty_broker.flushdb()
    old = timezone.now() - timedelta(seconds=settings.VIDEO_LEASE_S + 1)
    Video.objects.filter(pk__in=[lost.pk, waiting.pk]).update(created_at=old)  # queued long ago
    process_video.delay(waiting.pk)  # its message waits behind other work
    held, expired, dropped = video_plan(video_id=split.pk, range_frames=4)  # 12 frames: 3 ranges
    range_claim(range_id=held, token=new_token())  # a live worker's
    range_claim(range_id=expired, token=new_token())  # a killed worker's
    VideoRange.objects.filter(pk__in=[expired, dropped]).update(heartbeat_at=old)  # dropped: planned long ago
    queued, recent = video_plan(video_id=other.pk, range_frames=6)
    VideoRange.objects.filter(pk=queued).update(heartbeat_at=old)
    send_range(queued)  # its message waits; `recent` was just planned, its message may be on its way
    assert waiting_in_broker("videos.process_range", "gpu") == {queued}

    # fresh: just uploaded. Ranges of a video no longer processing are left alone.
    assert recover_videos() == {"videos": [lost.pk], "ranges": [expired, dropped]}
    assert waiting_in_broker("videos.process_video", "gpu") == {waiting.pk, lost.pk}
    assert waiting_in_broker("videos.process_range", "gpu") == {queued, expired, dropped}
    assert recover_videos() == {"videos": [], "ranges": []}  # what it sent is waiting now: nothing piles up
    process_video.apply(args=[lost.pk])
    for range_id in (expired, dropped):
        process_range.apply(args=[range_id])
    assert Video.objects.get(pk=lost.pk).status == VideoStatus.DONE
    assert VideoRange.objects.get(pk=expired).attempts == 2
    VideoRange.objects.filter(pk=held).update(heartbeat_at=old)  # the live worker died after all
    process_range.apply(args=[held])
    split.refresh_from_db()
    assert split.status == VideoStatus.DONE and split.frames_done == split.frame_count == 12
    assert sorted(FrameResult.objects.filter(video=split).values_list("index", flat=True)) == list(range(12))
    assert PolypEvent.objects.filter(video=split).count() >= 1


def test_the_embedded_server_takes_over_whatever_it_left_unfinished(video):
    (range_id,) = video_plan(video_id=video.pk)
    range_claim(range_id=range_id, token=new_token())  # the previous run's, killed with its process
    assert videos_unfinished() == [video.pk]
    video_process(video_id=video.pk)
    assert Video.objects.get(pk=video.pk).status == VideoStatus.DONE
