"""Batches are written with COPY through a staging table: the same rows as bulk_create, a retried batch stores
nothing twice, a rolled-back batch leaves nothing behind; progress rows are coalesced at high rates without losing
the last progress (webapp/videos/pipeline.py)."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.webapp.studies.factories import make_study
from tests.webapp.videos.factories import make_video
from webapp.mlops.engines import engine_for
from webapp.videos import pipeline, rle
from webapp.videos.models import FrameResult, RangeStatus, Video, VideoRange, VideoStatus
from webapp.videos.pipeline import video_plan, video_process

FIELDS = ("index", "time_s", "score", "area", "flagged", "mask_rle", "model_version_id")


def _results(video: Video, start: int, n: int):
    from inference.io import probe

    frames = list(probe(video.file.path).frames())[start : start + n]
    return engine_for(Video.objects.get(pk=video.pk).model_version).predict_runs(frames, start)


def _rows(video: Video) -> list[tuple]:
    return list(FrameResult.objects.filter(video=video).order_by("index").values_list(*FIELDS))


@pytest.mark.django_db(transaction=True)
def test_copy_stores_what_bulk_create_stores_and_a_retried_batch_nothing_twice(tmp_path, owner, monkeypatch):
    study = make_study(owner)
    by_copy, by_insert = make_video(tmp_path, study, owner, frames=12), make_video(tmp_path, study, owner, frames=12)
    for video in (by_copy, by_insert):
        video_plan(video_id=video.pk)
    copy_video, insert_video = Video.objects.get(pk=by_copy.pk), Video.objects.get(pk=by_insert.pk)
    results = _results(copy_video, 0, 8)
    with transaction.atomic():
        pipeline._store_results(copy_video, results[:4], 10.0)
    with transaction.atomic():  # a retry of the first batch together with the next: only the new rows go in
        pipeline._store_results(copy_video, results, 10.0)
    monkeypatch.setattr(pipeline, "STORE_METHOD", "insert")
    with transaction.atomic():
        pipeline._store_results(insert_video, results, 10.0)
    copied = _rows(copy_video)
    assert [r[0] for r in copied] == list(range(8))
    assert copied == _rows(insert_video)
    for row, r in zip(copied, results, strict=True):
        assert row[5] == rle.encode(r.mask)  # the packed runs are the mask's COCO string


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_batch_leaves_nothing_and_the_next_one_is_stored(tmp_path, owner):
    video = make_video(tmp_path, make_study(owner), owner, frames=8)
    video_plan(video_id=video.pk)
    video = Video.objects.get(pk=video.pk)
    results = _results(video, 0, 8)
    with pytest.raises(RuntimeError), transaction.atomic():  # the first batch of a fresh connection fails
        pipeline._store_results(video, results[:4], 10.0)
        raise RuntimeError("the lease was lost")
    assert not FrameResult.objects.filter(video=video).exists()
    with transaction.atomic():  # the staging table was rolled back with it: made again
        pipeline._store_results(video, results[4:], 10.0)
    with transaction.atomic():
        pipeline._store_results(video, results[:4], 10.0)
    assert [r[0] for r in _rows(video)] == list(range(8))


@pytest.mark.django_db(transaction=True)
def test_coalesced_progress_still_records_the_last_frame(tmp_path, owner, monkeypatch):
    monkeypatch.setattr(pipeline, "PROGRESS_WRITE_S", 3600.0)  # only the first batch writes progress itself
    monkeypatch.setattr(pipeline, "PROGRESS_INTERVAL_S", 3600.0)
    updates: list[int] = []
    real = pipeline._video_progress

    def counted(video_id):
        updates.append(video_id)
        return real(video_id)

    monkeypatch.setattr(pipeline, "_video_progress", counted)
    video = make_video(tmp_path, make_study(owner), owner, frames=20)  # 5 batches of 4
    video_plan(video_id=video.pk)
    (part,) = VideoRange.objects.filter(video=video)
    pipeline.range_process(range_id=part.pk)
    part.refresh_from_db()
    video.refresh_from_db()
    assert len(updates) == 2  # the first batch's and the run's last (flush), not one per batch
    assert part.status == RangeStatus.DONE and part.frames_done == 20
    assert video.status == VideoStatus.DONE and video.frames_done == 20


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_run_records_the_progress_of_every_frame_it_stored(tmp_path, owner, monkeypatch):
    from webapp.videos.services import video_cancel

    monkeypatch.setattr(pipeline, "PROGRESS_WRITE_S", 3600.0)
    monkeypatch.setattr(pipeline, "PROGRESS_INTERVAL_S", 3600.0)
    video = make_video(tmp_path, make_study(owner), owner, frames=20)
    real_store = pipeline._store_results

    def store(v, results, fps):
        real_store(v, results, fps)
        if results[0].index == 8:  # the user cancels while the third batch is written
            video_cancel(video=Video.objects.get(pk=video.pk), user=owner)

    monkeypatch.setattr(pipeline, "_store_results", store)
    video_process(video_id=video.pk)
    stored = FrameResult.objects.filter(video=video).count()
    part = VideoRange.objects.get(video=video)
    assert Video.objects.get(pk=video.pk).status == VideoStatus.CANCELLED
    assert part.frames_done == stored >= 12


@pytest.mark.django_db
def test_batches_in_one_uncommitted_transaction_each_store_only_their_own_rows(tmp_path, owner):
    study = make_study(owner)
    first, second = make_video(tmp_path, study, owner, frames=8), make_video(tmp_path, study, owner, frames=8)
    for video in (first, second):
        video_plan(video_id=video.pk)
    first, second = Video.objects.get(pk=first.pk), Video.objects.get(pk=second.pk)
    pipeline._store_results(first, _results(first, 0, 4), 10.0)  # the test's transaction never commits
    FrameResult.objects.filter(video=first).delete()  # a reprocess: the rows are gone
    pipeline._store_results(second, _results(second, 0, 4), 10.0)
    assert not FrameResult.objects.filter(video=first).exists()  # nothing of the first batch came back
    assert [r[0] for r in _rows(second)] == [0, 1, 2, 3]
