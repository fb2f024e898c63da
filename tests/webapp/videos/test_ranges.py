"""Videos in frame ranges, in one process (webapp/videos/ranges.py, services.video_plan / range_process /
range_complete): a range decodes exactly its frames (checked against decoding from the start, on a file where OpenCV's
own seek lands on the wrong frame, and on H.264); ranges finished in any order store every frame once and end in the
events of the whole video, an event across a border being one event; of two ranges completing at once exactly one
finishes the video. With real worker processes: test_reliability_ranges.py."""

from __future__ import annotations

import asyncio
import hashlib
import struct
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from channels.layers import get_channel_layer
from django.conf import settings

from inference.errors import InputError
from inference.synthetic import write_sample_video
from tests.webapp.studies.factories import make_study
from tests.webapp.videos.factories import make_video
from webapp.leases import new_token
from webapp.mlops.engines import engine_for
from webapp.videos import ranges
from webapp.videos.events import Event, find_events_at, find_events_in_runs
from webapp.videos.leases import range_claim
from webapp.videos.models import FrameResult, PolypEvent, RangeStatus, Video, VideoRange, VideoStatus
from webapp.videos.pipeline import StoredRun, range_complete, range_process, video_plan, video_process
from webapp.videos.progress import video_group
from webapp.videos.services import video_cancel, video_resume

H264_VIDEO = settings.BASE_DIR.parent / "shared" / "datasets" / "videos" / "colondb_all_25fps_hold5.mp4"


# --- planning and events, pure ---------------------------------------------------------------------


def test_a_video_is_split_into_equal_ranges_and_a_short_one_stays_whole():
    assert ranges.plan(1200, 1500) == [(0, 1200)]
    assert ranges.plan(1500, 1500) == [(0, 1500)]
    assert ranges.plan(1895, 1500) == [(0, 948), (948, 1895)]  # two of equal length, not 1500 + 395
    assert ranges.plan(12, 4) == [(0, 4), (4, 8), (8, 12)]
    bounds = ranges.plan(18_000, 1500)
    assert len(bounds) == 12 and all(b - a == 1500 for a, b in bounds)
    assert bounds[0][0] == 0 and bounds[-1][1] == 18_000
    assert all(x[1] == y[0] for x, y in zip(bounds, bounds[1:], strict=False))


def test_events_of_the_frames_known_so_far_end_where_frames_are_missing():
    scores = [0.9] * 10 + [0.0] * 10  # one event, frames 0-9, at 10 fps (gaps up to 10 frames merge)
    stored = [(i, s) for i, s in enumerate(scores) if not 4 <= i < 8]  # frames 4-7 not known yet
    assert find_events_in_runs(stored, 10.0) == [Event(0, 3, 0, 0.9), Event(8, 9, 8, 0.9)]
    assert find_events_in_runs(list(enumerate(scores)), 10.0) == find_events_at(scores, 10.0) == [Event(0, 9, 0, 0.9)]


# --- exact decoding of a range -------------------------------------------------------------------


def _sequential_hashes(path: Path) -> tuple[list[str], np.ndarray]:
    """sha1 of every frame decoding from the start delivers, and the frames' times as the upload records them."""
    cap = cv2.VideoCapture(str(path))
    hashes = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        hashes.append(hashlib.sha1(frame.tobytes()).hexdigest())
    cap.release()
    cap = cv2.VideoCapture(str(path))
    times = ranges.frame_times(cap)
    cap.release()
    assert len(times) == len(hashes)
    return hashes, times


def _assert_ranges_exact(path: Path, starts: list[int], length: int = 6) -> None:
    hashes, times = _sequential_hashes(path)
    for start in starts:
        stop = min(start + length, len(hashes))
        got = [hashlib.sha1(f.tobytes()).hexdigest() for f in ranges.read_frames(path, start, stop, times)]
        assert got == hashes[start:stop], f"frames {start}-{stop - 1}"
    tail = list(ranges.read_frames(path, len(hashes) - 2, None, times))  # the last range: to the end of the file
    assert [hashlib.sha1(f.tobytes()).hexdigest() for f in tail] == hashes[-2:]
    assert list(ranges.read_frames(path, len(hashes), None, times)) == []  # a last range stored to its end already
    with pytest.raises(InputError, match=f"ends at frame {len(hashes)}, before frame {len(hashes) + 1}"):
        list(ranges.read_frames(path, len(hashes) - 1, len(hashes) + 1, times))  # a file shorter than its record
    # Without recorded times (a video uploaded before they were): decoded from the start, exact too.
    got = [hashlib.sha1(f.tobytes()).hexdigest() for f in ranges.read_frames(path, starts[-1], starts[-1] + 2)]
    assert got == hashes[starts[-1]:starts[-1] + 2]


def _with_stts(data: bytes, entries: list[tuple[int, int]]) -> bytes:
    """An MP4 whose one track's time-to-sample table (stts: runs of frames and their duration) is `entries`: a variable
    frame rate. The moov box follows mdat (OpenCV's muxer), so no chunk offset moves; the boxes around grow."""
    parents: list[int] = []

    def find(off: int, end: int) -> tuple[int, int] | None:
        while off < end:
            size, kind = struct.unpack(">I4s", data[off:off + 8])
            if kind == b"stts":
                return off, size
            if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
                parents.append(off)
                if hit := find(off + 8, off + size):
                    return hit
                parents.pop()
            off += size
        return None

    found = find(0, len(data))
    assert found is not None, "no stts box"
    off, size = found
    box = struct.pack(">I4sII", 16 + 8 * len(entries), b"stts", 0, len(entries))
    box += b"".join(struct.pack(">II", *entry) for entry in entries)
    out = bytearray(data[:off] + box + data[off + size:])
    for parent in parents:
        (grown,) = struct.unpack(">I", out[parent:parent + 4])
        out[parent:parent + 4] = struct.pack(">I", grown + len(box) - size)
    return bytes(out)


def test_a_range_decodes_exactly_its_frames_where_opencvs_own_seek_lands_on_another(tmp_path):
    cfr = write_sample_video(tmp_path / "cfr.mp4", frames=120, size=(64, 48), fps=25.0)
    # 120 frames at 25 fps in units of 1/12800 s (512 a frame): 40 frames twice as fast, 40 at 2/3 the rate, 40 as
    # before; the same total duration, so the edit list still covers every frame.
    vfr = tmp_path / "vfr.mp4"
    vfr.write_bytes(_with_stts(cfr.read_bytes(), [(40, 256), (40, 768), (40, 512)]))
    hashes, times = _sequential_hashes(vfr)
    assert len(hashes) == 120 and ranges.seekable(times)
    cap = cv2.VideoCapture(str(vfr))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 37)
    ok, frame = cap.read()
    cap.release()
    assert ok and hashlib.sha1(frame.tobytes()).hexdigest() != hashes[37]  # OpenCV's seek: another frame
    _assert_ranges_exact(vfr, [1, 37, 40, 41, 74, 80, 100])


def test_a_range_decodes_exactly_its_frames_of_mpeg4_and_vp9(tmp_path):
    _assert_ranges_exact(write_sample_video(tmp_path / "clip.mp4", frames=150, size=(64, 48), fps=25.0),
                         [1, 11, 12, 13, 40, 99, 140])
    vp9 = tmp_path / "clip.webm"  # alternate reference frames: frames decoded that are never shown
    writer = cv2.VideoWriter(str(vp9), cv2.VideoWriter.fourcc(*"VP90"), 25.0, (64, 48))
    if not writer.isOpened():
        pytest.skip("this OpenCV has no VP9 encoder")
    rng = np.random.default_rng(0)
    for _ in range(90):
        writer.write(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    writer.release()
    _assert_ranges_exact(vp9, [1, 30, 45, 61, 88])


@pytest.mark.skipif(not H264_VIDEO.is_file(), reason=f"{H264_VIDEO} not here (../shared/datasets)")
def test_a_range_decodes_exactly_its_frames_of_h264():
    _assert_ranges_exact(H264_VIDEO, [1, 249, 250, 251, 947, 948, 1500, 1800])


# --- ranges processed in one process --------------------------------------------------------------


@pytest.mark.django_db
def test_ranges_finished_in_any_order_store_every_frame_once_and_merge_events_across_borders(tmp_path, owner):
    # The same file in two studies (the first video of a study is drawn with the same seed): processed whole, and
    # in four ranges of 10 frames.
    whole = make_video(tmp_path, make_study(owner), owner, frames=40)
    split = make_video(tmp_path, make_study(owner), owner, frames=40)
    assert whole.checksum == split.checksum
    video_process(video_id=whole.pk)  # one range
    ids = video_plan(video_id=split.pk, range_frames=10)
    assert [(p.start, p.end) for p in VideoRange.objects.filter(video=split)] == [(0, 10), (10, 20), (20, 30),
                                                                                  (30, 40)]
    for done, range_id in enumerate([ids[2], ids[0], ids[3]], start=1):
        range_process(range_id=range_id)
        video = Video.objects.get(pk=split.pk)
        assert video.status == VideoStatus.PROCESSING and video.frames_done == 10 * done
    # Provisional events, each run of stored frames on its own: frames 0-9 and 20-39 (the tiny model flags every
    # frame), none reaching into frames 10-19.
    assert list(PolypEvent.objects.filter(video=split).values_list("start_index", "end_index")) == [(0, 9), (20, 39)]
    range_process(range_id=ids[1])  # the last one: it finishes the video

    video = Video.objects.get(pk=split.pk)
    assert video.status == VideoStatus.DONE and video.frames_done == video.frame_count == 40
    assert video.processing_fps > 0 and video.finished_at is not None
    assert set(VideoRange.objects.filter(video=split).values_list("status", "attempts", "lease_token")) == {
        (RangeStatus.DONE, 1, "")}
    stored = list(FrameResult.objects.filter(video=split).order_by("index").values_list("index", "score"))
    reference = list(FrameResult.objects.filter(video=whole).order_by("index").values_list("index", "score"))
    assert [i for i, _ in stored] == list(range(40))
    # Each range decoded exactly its frames: the same scores as the video processed whole (neighbouring frames
    # differ by the noise drawn into each one, far more than the engine's arithmetic between batch sizes).
    assert [s for _, s in stored] == pytest.approx([s for _, s in reference], abs=1e-5)
    events = list(PolypEvent.objects.filter(video=split).values_list("start_index", "end_index"))
    assert events == [(e.start, e.end) for e in find_events_at([s for _, s in stored], video.fps)] == [(0, 39)]


@pytest.mark.django_db
def test_a_video_as_long_as_one_range_is_one_range_and_a_resumed_one_keeps_its_ranges(tmp_path, owner, settings):
    settings.VIDEO_RANGE_FRAMES = 12
    video = make_video(tmp_path, make_study(owner), owner, frames=12)
    video_process(video_id=video.pk)
    assert VideoRange.objects.filter(video=video).count() == 1
    settings.VIDEO_RANGE_FRAMES = 5
    longer = make_video(tmp_path, video.study, owner, frames=12)
    ids = video_plan(video_id=longer.pk)
    assert len(ids) == 3 and video_plan(video_id=longer.pk) == []  # a second message finds it planned
    range_process(range_id=ids[0])
    video_cancel(video=longer, user=owner)
    video_resume(video=longer, user=owner)
    assert video_plan(video_id=longer.pk) == ids[1:]  # the done range stays done


@pytest.mark.django_db(transaction=True)
def test_of_two_ranges_completing_at_once_exactly_one_finishes_the_video(tmp_path, owner):
    video = make_video(tmp_path, make_study(owner), owner, frames=16)
    ids = video_plan(video_id=video.pk, range_frames=8)
    video = Video.objects.get(pk=video.pk)
    engine = engine_for(video.model_version)
    from inference.io import probe

    frames = list(probe(video.file.path).frames())
    parts = []
    for range_id in ids:
        token = new_token()
        part = range_claim(range_id=range_id, token=token)
        run = StoredRun(part=part, scores=[], began=time.monotonic(), token=token)
        for i in range(part.start, part.end, 4):
            assert run.write(engine.predict_batch(frames[i:i + 4], i))
        parts.append((part, token))
    layer = get_channel_layer()

    async def subscribe():
        channel = await layer.new_channel()
        await layer.group_add(video_group(video.pk), channel)
        return channel

    channel = asyncio.run(subscribe())
    barrier = threading.Barrier(2)
    finished: list[bool] = []

    def complete(part, token):
        from django.db import connection

        barrier.wait()
        try:
            finished.append(range_complete(part=part, token=token, rate=1.0))
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=pair) for pair in parts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(finished) == [False, True]

    async def drain():
        messages = []
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=2)
            except TimeoutError:
                return messages
            messages.append(message["payload"])

    statuses = [m["status"] for m in asyncio.run(drain())]
    assert statuses.count(VideoStatus.DONE) == 1  # one final message
    video.refresh_from_db()
    assert video.status == VideoStatus.DONE and video.frames_done == 16
    assert list(PolypEvent.objects.filter(video=video).values_list("start_index", "end_index")) == [(0, 15)]


@pytest.mark.django_db
def test_a_range_whose_worker_died_after_its_last_batch_is_completed_by_the_next(tmp_path, owner):
    video = make_video(tmp_path, make_study(owner), owner, frames=12)
    ids = video_plan(video_id=video.pk, range_frames=6)
    video = Video.objects.get(pk=video.pk)
    engine = engine_for(video.model_version)
    from inference.io import probe

    frames = list(probe(video.file.path).frames())
    for range_id in ids:  # every frame stored, then each worker killed before it marked its range done
        token = new_token()
        part = range_claim(range_id=range_id, token=token)
        run = StoredRun(part=part, scores=[], began=time.monotonic(), token=token)
        for i in range(part.start, part.end, 4):
            assert run.write(engine.predict_batch(frames[i:i + min(4, part.end - i)], i))
    VideoRange.objects.filter(video=video).update(heartbeat_at=None)  # their leases expired
    video_process(video_id=video.pk)
    video.refresh_from_db()
    assert video.status == VideoStatus.DONE and video.frames_done == video.frame_count == 12
    assert set(VideoRange.objects.filter(video=video).values_list("status", "attempts")) == {(RangeStatus.DONE, 2)}
