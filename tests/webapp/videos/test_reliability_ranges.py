"""One video split into frame ranges across real Celery worker processes (webapp/videos/ranges.py, leases.py), against
the real PostgreSQL and Redis:

(a) two workers split a video: every frame stored once, no frame computed by two workers (each run logs the frames it
    ran), progress is the sum over the ranges, and the events are those of the whole video, one event across the
    range borders;
(b) a worker SIGKILLed mid-range: another worker takes the range over after its last stored frame, and the video ends
    done with every frame once.

Small here: ranges of 100 and 300 frames of a 64x48 clip (VIDEO_RANGE_FRAMES in the workers' environment), leases of
5 s, the reconciler every 1 s (test_reliability.py's settings).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from pathlib import Path

import pytest
from channels.layers import get_channel_layer

from tests.webapp.studies.factories import make_study
from tests.webapp.videos.factories import make_video
from tests.webapp.videos.test_reliability import LEASE, RESUME_BOUND_S, SLOW_S, _ready, _start, _starts, _wait_for
from webapp.videos.events import find_events_at
from webapp.videos.models import FrameResult, PolypEvent, RangeStatus, Video, VideoRange, VideoStatus
from webapp.videos.progress import video_group

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_broker")]




def _indices(pk: int) -> list[int]:
    return list(FrameResult.objects.filter(video_id=pk).order_by("index").values_list("index", flat=True))


def _assert_done_once(pk: int, frames: int, logs: list[Path]) -> Video:
    video = _wait_for(lambda: (v := Video.objects.get(pk=pk)).status not in (VideoStatus.QUEUED,
                                                                              VideoStatus.PROCESSING) and v,
                      SLOW_S, f"video {pk} to end", logs)
    assert video.status == VideoStatus.DONE, video.error
    assert _indices(pk) == list(range(frames))  # every frame, each once
    assert video.frames_done == video.frame_count == frames
    assert set(VideoRange.objects.filter(video_id=pk).values_list("status", "lease_token")) == {(RangeStatus.DONE, "")}
    return video


def _ran(log: Path, pk: int) -> list[tuple[int, int]]:
    """The frames (first, last) each run of a range of video pk computed and stored, in this worker's log."""
    pattern = re.compile(rf"video {pk}: ran frames (\d+)-(\d+) ")
    return [(int(a), int(b)) for a, b in pattern.findall(log.read_text(errors="replace"))]


def _holder_pid(part: VideoRange) -> int:
    return int(part.lease_holder.rsplit(":", 1)[1])


def test_two_workers_split_a_video_each_frame_stored_once_and_run_by_one_worker(tmp_path, owner, procs):
    frames, range_frames = 600, 100
    env = {**LEASE, "VIDEO_RANGE_FRAMES": str(range_frames)}
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    procs += [_start(logs[0], env), _start(logs[1], env)]
    _ready(logs)
    layer = get_channel_layer()
    study = make_study(owner)

    async def follow(pk: int) -> list[dict]:
        channel = await layer.new_channel()
        await layer.group_add(video_group(pk), channel)
        messages: list[dict] = []
        deadline = time.monotonic() + SLOW_S
        while time.monotonic() < deadline:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=5)
            except TimeoutError:
                continue
            messages.append(message["payload"])
            if message["payload"]["status"] not in (VideoStatus.QUEUED, VideoStatus.PROCESSING):
                break
        return messages

    video = make_video(tmp_path, study, owner, frames=frames)  # queued after commit: the workers plan it at once
    messages = asyncio.run(follow(video.pk))
    video = _assert_done_once(video.pk, frames, logs)

    parts = list(VideoRange.objects.filter(video=video).order_by("start"))
    assert [(p.start, p.end) for p in parts] == [(i, i + range_frames) for i in range(0, frames, range_frames)]
    assert all(p.attempts == 1 for p in parts)  # each range claimed once
    ran = {log.name: _ran(log, video.pk) for log in logs}
    assert all(ran.values()), ran  # both workers processed ranges of the one video
    computed = sorted(i for runs in ran.values() for first, last in runs for i in range(first, last + 1))
    assert computed == list(range(frames))  # no frame computed twice, none by two workers
    claims = [start for log in logs for start in _starts(log, video.pk)]
    assert sorted(claims) == [p.start for p in parts]  # one claim per range, from its first frame

    # Progress is the sum over the ranges (more than one range holds), the final message the whole video's.
    progress = [m["frames_done"] for m in messages if m["status"] == VideoStatus.PROCESSING]
    assert progress and max(progress) > range_frames
    final = messages[-1]
    assert final["status"] == VideoStatus.DONE and final["frames_done"] == final["frame_count"] == frames
    # The events are those of the whole score sequence: the tiny model flags every frame, so one event spans every
    # range border, stored once.
    scores = list(FrameResult.objects.filter(video=video).order_by("index").values_list("score", flat=True))
    expected = [(e.start, e.end) for e in find_events_at(scores, video.fps)]
    stored = list(PolypEvent.objects.filter(video=video).values_list("start_index", "end_index"))
    assert stored == expected == [(0, frames - 1)]
    assert [(e["start"], e["end"]) for e in final["events"]] == expected


def test_a_worker_killed_mid_range_the_other_takes_the_range_over_and_the_video_ends_done(tmp_path, owner, procs):
    frames, range_frames = 1200, 300
    env = {**LEASE, "VIDEO_RANGE_FRAMES": str(range_frames)}
    logs = {name: tmp_path / f"{name}.log" for name in ("w1", "w2", "beat")}
    procs += [_start(logs["w1"], env), _start(logs["w2"], env), _start(logs["beat"], env, beat=True)]
    workers = {procs[0].pid: (procs[0], logs["w1"]), procs[1].pid: (procs[1], logs["w2"])}
    _ready([logs["w1"], logs["w2"]])
    video = make_video(tmp_path, make_study(owner), owner, frames=frames)

    held = _wait_for(lambda: VideoRange.objects.filter(video=video, status=RangeStatus.PROCESSING,
                                                       frames_done__gte=40, frames_done__lt=200).first(),
                     SLOW_S, "a range 40 frames in", list(logs.values()))
    victim, victim_log = workers.pop(_holder_pid(held))
    os.kill(victim.pid, signal.SIGKILL)  # no warm shutdown: the message stays unacknowledged, the range held
    victim.wait()
    killed_at = time.monotonic()
    part = VideoRange.objects.get(pk=held.pk)
    # A batch whose COMMIT reached PostgreSQL before the kill still commits after it (the server finishes it without
    # the client): count once the count has settled (well inside the 5 s lease, before any takeover).
    count = FrameResult.objects.filter(video=video, index__gte=part.start, index__lt=part.end).count
    stored, settled = count(), 0
    while settled < 2:
        time.sleep(0.5)
        now = count()
        settled, stored = (settled + 1, now) if now == stored else (0, now)
    assert part.status == RangeStatus.PROCESSING and part.lease_token and 0 < stored < range_frames  # mid-range

    (survivor, survivor_log), = workers.values()
    resumed = _wait_for(lambda: (p := VideoRange.objects.get(pk=part.pk)).attempts == 2 and p, RESUME_BOUND_S,
                        "the other worker to take the range over", list(logs.values()))
    print(f"killed worker's range claimed again after {time.monotonic() - killed_at:.1f} s (lease 5 s, reconciler "
          "every 1 s)")
    assert _holder_pid(resumed) == survivor.pid
    _assert_done_once(video.pk, frames, list(logs.values()))
    # The survivor took the range up exactly after the last frame the killed worker stored in it: nothing stored
    # twice, nothing skipped; the killed worker claimed each of its ranges once.
    assert part.start + stored in _starts(survivor_log, video.pk)
    victim_starts = _starts(victim_log, video.pk)
    assert part.start in victim_starts and len(victim_starts) == len(set(victim_starts))
    assert "re-enqueued ranges nobody held" in logs["w1"].read_text() + logs["w2"].read_text()
