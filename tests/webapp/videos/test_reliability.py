"""Video work is never stranded, never done twice: faults made for real against real Celery worker processes, a real
Celery beat, PostgreSQL and Redis (webapp/videos/leases.py).

(a) a worker SIGKILLed mid-video: another worker finishes it, every frame stored once, by one worker each;
(a2) a message redelivered while its worker still runs (a visibility timeout shorter than the video) does nothing;
(b) SIGTERM mid-video: the warm shutdown hands the video back within 10 s and another worker finishes it;
(c) Redis flushed (this machine's Redis keeps nothing on disk, so a restart is a flush): the queued videos it lost
    are queued again, by a starting worker and by beat;
(d) the database away for longer than the task's retry budget (a TCP proxy in front of PostgreSQL cut for real):
    the video is not left processing; it is queued again and finished once the database is back.

The leases are short here (5 s, reconciler every 1 s) so that each test takes seconds; production's bounds are in
webapp/README.md. A 1200-frame 64x48 clip takes about 8 s through the tiny model on two cores. It is one range
(VIDEO_RANGE_FRAMES, 1500): its lease is its range's. Videos split into several ranges: test_reliability_ranges.py.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu import Connection

from tests.webapp.studies.factories import make_study
from tests.webapp.videos.factories import make_video
from tests.webapp.videos.worker import ROOT
from webapp.videos.models import FrameResult, RangeStatus, Video, VideoRange, VideoStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_broker")]

FRAMES = 1200
LEASE = {"VIDEO_LEASE_S": "5", "VIDEO_RECONCILE_S": "1"}
# The targets: a killed worker's video resumes within 60 s, a warm shutdown hands it back within 10 s.
RESUME_BOUND_S = 60
HAND_BACK_BOUND_S = 10
# Waits that only depend on how busy the machine is (worker start, processing): generous, other engineers' loads share
# these two cores. What the issue bounds is timed separately, against the two bounds above.
SLOW_S = 300


def _start(log_path: Path, env: dict[str, str], beat: bool = False, database_url: str | None = None,
           queues: str = "gpu") -> subprocess.Popen:
    """A real worker (as tests/webapp/videos/worker.py starts one), or Celery beat, on the tests' database and Redis."""
    db = connection.settings_dict
    full = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    full["DATABASE_URL"] = database_url or f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if beat:
        command = ["beat", "--schedule", str(log_path.with_suffix(".schedule")), "--loglevel", "INFO"]
    else:
        command = ["worker", "-Q", queues, "--pool", "solo", "--concurrency", "1", "--loglevel", "INFO",
                   "--without-heartbeat", "--without-gossip", "--without-mingle"]
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "webapp", *command], cwd=ROOT, env=full,
                            stdout=log_path.open("ab"), stderr=subprocess.STDOUT)


def _ready(logs: list[Path]) -> None:
    """Every worker of `logs` consumes (a copy handed to a worker still starting would wait for it)."""
    _wait_for(lambda: all(" ready." in p.read_text(errors="replace") for p in logs), SLOW_S, "the workers to start",
              logs)


def _wait_for(predicate, timeout: float, what: str, logs: list[Path] = ()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs if p.exists())
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


def _video(pk: int) -> Video:
    return Video.objects.get(pk=pk)


def _indices(pk: int) -> list[int]:
    return list(FrameResult.objects.filter(video_id=pk).order_by("index").values_list("index", flat=True))


def _range(pk: int) -> VideoRange | None:
    """The video's one range (None until it is planned)."""
    return VideoRange.objects.filter(video_id=pk).first()


def _holder_pid(part: VideoRange) -> int:
    return int(part.lease_holder.rsplit(":", 1)[1])


def _assert_done_once(pk: int, logs: list[Path]) -> Video:
    video = _wait_for(lambda: (v := _video(pk)).status not in (VideoStatus.QUEUED, VideoStatus.PROCESSING) and v,
                      SLOW_S, f"video {pk} to end", logs)
    assert video.status == VideoStatus.DONE, video.error
    assert _indices(pk) == list(range(FRAMES))  # every frame, each once (also what the unique constraint holds)
    assert video.frames_done == video.frame_count == FRAMES
    assert list(VideoRange.objects.filter(video_id=pk).values_list("status", "lease_token")) == [
        (RangeStatus.DONE, "")]
    return video


def _starts(log: Path, pk: int) -> list[int]:
    """The frames each claim of video pk started from, in this worker's log."""
    marker = f"video {pk}: processing from frame "
    return [int(line.split(marker)[1].split()[0]) for line in log.read_text(errors="replace").splitlines()
            if marker in line]




def test_a_killed_workers_video_is_finished_by_another_worker_every_frame_once(tmp_path, owner, procs):
    logs = {name: tmp_path / f"{name}.log" for name in ("w1", "w2", "beat")}
    procs += [_start(logs["w1"], LEASE), _start(logs["w2"], LEASE), _start(logs["beat"], LEASE, beat=True)]
    workers = {procs[0].pid: (procs[0], logs["w1"]), procs[1].pid: (procs[1], logs["w2"])}
    _ready([logs["w1"], logs["w2"]])
    video = make_video(tmp_path, make_study(owner), owner, frames=FRAMES)

    held = _wait_for(lambda: (r := _range(video.pk)) and r.frames_done >= 200 and r, SLOW_S,
                     "the first 200 frames", list(logs.values()))
    victim, victim_log = workers.pop(_holder_pid(held))
    os.kill(victim.pid, signal.SIGKILL)  # no warm shutdown: the message stays unacknowledged, the lease held
    victim.wait()
    killed_at = time.monotonic()
    stored_by_victim = len(_indices(video.pk))
    assert _video(video.pk).status == VideoStatus.PROCESSING and stored_by_victim < FRAMES

    (survivor, survivor_log), = workers.values()
    resumed = _wait_for(lambda: (r := _range(video.pk)).attempts == 2 and r, RESUME_BOUND_S,
                        "another worker to claim the video", list(logs.values()))
    resume_s = time.monotonic() - killed_at
    assert _holder_pid(resumed) == survivor.pid
    print(f"killed worker's video claimed again after {resume_s:.1f} s (lease 5 s, reconciler every 1 s)")
    _assert_done_once(video.pk, list(logs.values()))
    # The survivor started exactly after the last frame the killed worker stored: nothing computed twice was stored,
    # nothing skipped; the killed worker never claimed it again.
    assert _starts(survivor_log, video.pk) == [stored_by_victim]
    assert _starts(victim_log, video.pk) == [0]
    assert "re-enqueued ranges nobody held" in logs["w2"].read_text() + logs["w1"].read_text()


def test_a_message_redelivered_while_its_worker_runs_does_nothing(tmp_path, owner, procs):
    # The defect: with a 60 s visibility timeout the broker handed the unacknowledged message of a video still
    # being processed to a second worker, and both ran it to the end. Here the broker's own redelivery (kombu's
    # restore of unacknowledged messages older than the visibility timeout) is triggered at once, mid-video.
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    procs += [_start(logs[0], LEASE), _start(logs[1], LEASE)]
    _ready(logs)
    video = make_video(tmp_path, make_study(owner), owner, frames=FRAMES)
    _wait_for(lambda: _video(video.pk).frames_done >= 100, SLOW_S, "the first 100 frames", logs)
    with Connection(settings.CELERY_BROKER_URL, transport_options={"visibility_timeout": 0}) as conn:
        conn.default_channel.qos.restore_visible(interval=1)  # every unacknowledged message back into its queue
    _wait_for(lambda: any(f"video {video.pk}: held by" in p.read_text(errors="replace") for p in logs), 60,
              "the redelivered copy to reach the other worker", logs)
    _assert_done_once(video.pk, logs)
    assert sum(len(_starts(p, video.pk)) for p in logs) == 1  # one claim in all: the copy did nothing
    assert _range(video.pk).attempts == 1


def test_sigterm_hands_the_video_back_within_10_s_and_another_worker_finishes_it(tmp_path, owner, procs):
    logs = {name: tmp_path / f"{name}.log" for name in ("w1", "w2")}
    procs += [_start(logs["w1"], LEASE), _start(logs["w2"], LEASE)]
    workers = {procs[0].pid: (procs[0], logs["w1"]), procs[1].pid: (procs[1], logs["w2"])}
    _ready([logs["w1"], logs["w2"]])
    video = make_video(tmp_path, make_study(owner), owner, frames=FRAMES)

    held = _wait_for(lambda: (r := _range(video.pk)) and r.frames_done >= 200 and r, SLOW_S,
                     "the first 200 frames", list(logs.values()))
    victim, victim_log = workers.pop(_holder_pid(held))
    victim.send_signal(signal.SIGTERM)  # Celery's warm shutdown, what Kubernetes and compose send first
    asked = time.monotonic()
    _wait_for(lambda: _range(video.pk).lease_holder != held.lease_holder, HAND_BACK_BOUND_S,
              "the video to be handed back", list(logs.values()))
    hand_back_s = time.monotonic() - asked
    victim.wait(timeout=HAND_BACK_BOUND_S)
    exit_s = time.monotonic() - asked
    print(f"SIGTERM: video handed back after {hand_back_s:.2f} s, worker exited after {exit_s:.2f} s")
    assert exit_s < HAND_BACK_BOUND_S and victim.returncode == 0
    stored_by_victim = _starts(victim_log, video.pk)
    assert stored_by_victim == [0] and "handed back at frame" in victim_log.read_text()

    (survivor, survivor_log), = workers.values()
    final = _assert_done_once(video.pk, list(logs.values()))
    resumed_from = _starts(survivor_log, video.pk)
    assert len(resumed_from) == 1 and 200 <= resumed_from[0] < FRAMES
    assert _range(final.pk).attempts == 1  # a hand-back does not count as a failed attempt


def test_queued_videos_a_flushed_redis_lost_are_queued_again(tmp_path, owner, procs):
    study = make_study(owner)
    first = make_video(tmp_path, study, owner, frames=FRAMES)
    second = make_video(tmp_path, study, owner, frames=FRAMES)
    broker = redis.Redis.from_url(settings.REDIS_URL)
    assert broker.llen("gpu") == 2
    broker.flushdb()  # Redis restarted empty: both messages gone, both videos queued in the database
    logs = [tmp_path / "w1.log", tmp_path / "beat.log"]
    procs += [_start(logs[0], LEASE), _start(logs[1], LEASE, beat=True)]
    # The worker's start looks at once (both videos waited longer than a lease) and queues both again.
    _wait_for(lambda: _video(first.pk).frames_done >= 200, SLOW_S, "the first video to run", logs)
    assert _video(second.pk).status == VideoStatus.QUEUED
    broker.flushdb()  # again, mid-run: the second video's message is lost a second time
    _assert_done_once(first.pk, logs)
    # The worker was busy; once free it takes beat's next reconciler message, which finds the second video queued
    # with no message in the broker and queues it again.
    _assert_done_once(second.pk, logs)
    assert _range(first.pk).attempts == 1 and _range(second.pk).attempts == 1


class _CuttablePostgres:
    """A TCP proxy in front of PostgreSQL whose cable can be cut: cut() closes every connection through it and
    refuses new ones (accepted and closed at once), mend() lets them through again."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = threading.Event()
        self.closed = threading.Event()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down.is_set():
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 0.5)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except OSError:
            return
        finally:
            a.close()
            b.close()

    def cut(self) -> None:
        self.down.set()
        with self._lock:
            for a, b in self._pairs:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            self._pairs.clear()

    def mend(self) -> None:
        self.down.clear()

    def close(self) -> None:
        self.closed.set()
        self.cut()
        self.listener.close()


def test_a_database_outage_longer_than_the_retry_budget_leaves_the_video_queued_not_processing(tmp_path, owner,
                                                                                            procs):
    db = connection.settings_dict
    proxy = _CuttablePostgres((db["HOST"], int(db["PORT"])))
    url = f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}"
    # One retry after 0.5 s: the retry budget is over while the database is still away (mended only after that).
    env = {**LEASE, "VIDEO_TASK_MAX_RETRIES": "1", "VIDEO_RETRY_BACKOFF_S": "0.5"}
    logs = [tmp_path / "w1.log", tmp_path / "beat.log"]
    try:
        procs += [_start(logs[0], env, database_url=url), _start(logs[1], env, beat=True)]
        video = make_video(tmp_path, make_study(owner), owner, frames=FRAMES)
        _wait_for(lambda: _video(video.pk).frames_done >= 200, SLOW_S, "the first 200 frames", logs)
        proxy.cut()
        _wait_for(lambda: "database unavailable after 1 retries" in logs[0].read_text(errors="replace"), 30,
                  "the worker to give up", logs)
        time.sleep(1.0)
        stranded = _video(video.pk)  # the worker gave up while the database was away: nothing could be written
        proxy.mend()
        # Once the database is back, the lease has expired and beat's reconciler queues the video again.
        final = _assert_done_once(video.pk, logs)
    finally:
        proxy.close()
    assert stranded.status == VideoStatus.PROCESSING
    assert _range(final.pk).attempts == 2
    starts = _starts(logs[0], video.pk)
    assert starts[0] == 0 and len(starts) >= 2 and all(0 < s < FRAMES for s in starts[1:])
