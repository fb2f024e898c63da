"""The video lease in one process (webapp/videos/leases.py), against the real PostgreSQL and Redis: one holder at a
time, a taken-over holder stores nothing more, the last retry hands the video back, a poison video is failed after
VIDEO_MAX_ATTEMPTS, and the reconciler re-enqueues exactly what nobody holds or waits for.
The same faults with real worker processes: tests/webapp/videos/test_reliability.py."""

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
from webapp.videos import services
from webapp.videos.leases import video_claim, videos_unfinished
from webapp.videos.models import FrameResult, Video, VideoStatus
from webapp.videos.services import StoredRun, video_process
from webapp.videos.tasks import process_video, recover_videos

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


def test_a_second_claim_finds_the_video_held_and_a_duplicate_message_does_nothing(video):
    assert video_claim(video_id=video.pk, token=new_token()) is not None
    assert video_claim(video_id=video.pk, token=new_token()) is None  # a redelivered or duplicated message
    video_process(video_id=video.pk)  # what that message's task runs: nothing
    assert not FrameResult.objects.filter(video=video).exists()
    assert Video.objects.get(pk=video.pk).attempts == 1


def test_a_holder_taken_over_after_its_lease_expired_stores_nothing_more(video, settings):
    stalled = new_token()
    video = video_claim(video_id=video.pk, token=stalled)
    run = StoredRun(video=video, scores=[], began=time.monotonic(), token=stalled)
    assert run.write(_batch(video, 0))  # frames 0-3, while it holds the lease
    # It stalls past the lease (a frozen VM, a GC pause); another worker takes the video over.
    expired = timezone.now() - timedelta(seconds=settings.VIDEO_LEASE_S + 1)
    Video.objects.filter(pk=video.pk).update(heartbeat_at=expired)
    assert video_claim(video_id=video.pk, token=new_token()) is not None
    # The stalled holder wakes up with its next batch: refused, nothing stored, and it stops.
    assert run.write(_batch(video, 4)) is False and run.cancelled
    assert sorted(FrameResult.objects.filter(video=video).values_list("index", flat=True)) == [0, 1, 2, 3]
    assert Video.objects.get(pk=video.pk).attempts == 2


def test_the_last_retry_of_a_database_error_hands_the_video_back_queued(video, monkeypatch, _empty_broker):
    def insert_fails(video, results, fps):
        raise OperationalError("could not extend file: No space left on device")  # the database is up, but refuses

    monkeypatch.setattr(services, "_store_results", insert_fails)
    result = process_video.apply(args=[video.pk], retries=django_settings.VIDEO_TASK_MAX_RETRIES)  # the last one
    assert result.successful()  # handled: nothing left for Celery to log as a stranded failure
    video.refresh_from_db()
    assert video.status == VideoStatus.QUEUED and video.lease_token == "" and video.attempts == 1
    assert waiting_in_broker("videos.process_video", "gpu") == {video.pk}  # queued again in the broker too


def test_a_video_interrupted_too_often_is_failed_with_the_reason(video, settings):
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PROCESSING, attempts=settings.VIDEO_MAX_ATTEMPTS,
                                             lease_holder="gpu-3:77", heartbeat_at=None)
    video_process(video_id=video.pk)
    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED
    assert f"interrupted {settings.VIDEO_MAX_ATTEMPTS} times" in video.error and "gpu-3:77" in video.error


def test_the_reconciler_re_enqueues_what_nobody_holds_or_waits_for(tmp_path, owner, settings, _empty_broker):
    study = make_study(owner)
    held, expired, lost, waiting, fresh = (make_video(tmp_path, study, owner) for _ in range(5))
    _empty_broker.flushdb()
    old = timezone.now() - timedelta(seconds=settings.VIDEO_LEASE_S + 1)
    video_claim(video_id=held.pk, token=new_token())  # a live worker's
    video_claim(video_id=expired.pk, token=new_token())  # a killed worker's
    Video.objects.filter(pk=expired.pk).update(heartbeat_at=old)
    Video.objects.filter(pk__in=[lost.pk, waiting.pk]).update(created_at=old)  # queued long ago
    process_video.delay(waiting.pk)  # its message waits behind other work
    assert waiting_in_broker("videos.process_video", "gpu") == {waiting.pk}

    assert sorted(recover_videos()) == [expired.pk, lost.pk]  # fresh: just uploaded, its message may be on its way
    assert waiting_in_broker("videos.process_video", "gpu") == {waiting.pk, expired.pk, lost.pk}
    assert recover_videos() == []  # what it sent is waiting now: nothing piles up
    for pk in (expired.pk, lost.pk):
        process_video.apply(args=[pk])
        assert Video.objects.get(pk=pk).status == VideoStatus.DONE
    assert Video.objects.get(pk=expired.pk).attempts == 2


def test_the_embedded_server_takes_over_whatever_it_left_unfinished(video):
    video_claim(video_id=video.pk, token=new_token())  # the previous run's, killed with its process
    assert videos_unfinished() == [video.pk]
    video_process(video_id=video.pk)
    assert Video.objects.get(pk=video.pk).status == VideoStatus.DONE
