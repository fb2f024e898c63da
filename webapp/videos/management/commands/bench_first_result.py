"""Time to first result (issue 13): from an accepted upload to the first stored frame and the first websocket messages.

    python manage.py bench_first_result [--video FILE ...] [--runs 5] [--no-warm] [--via-queue] [--in-place] [--json]

Everything runs the production way, on this machine: the web server (`python -m webapp.server`, uvicorn) and one
`celery -A webapp worker -Q gpu --pool solo` started by this command, on a fresh PostgreSQL database of its own and
Redis database 13 (--redis-url to change; never the one a developer's worker consumes: it would take the tasks of a
database it cannot see), media in a temporary folder. For each run: a new study (study_create), the clip POSTed to
`/api/studies/{id}/videos/` as a client does (the request spools, hashes and probes the file, then writes the video's
row and queues its task at commit: the accepted upload, t = 0, Video.created_at; the 201 follows), the video's
websocket `/ws/videos/{id}/?token=` opened at once (as the review UI does after the 201), and the database polled every
10 ms. Printed per run, seconds from the accepted upload:

    task_start     the worker's plan of the video (Video.started_at: the task runs)
    first_frame    the first frame result stored (FrameResult, polled)
    first_progress the first progress message on the websocket
    first_event    the first progress message listing an event (events.py: an event needs MIN_EVENT_SECONDS of
                   flagged frames, 5 frames at 25 fps, 1 at 5 fps, and the writer sends events with its progress
                   at most every 0.5 s)
    done           the message saying the video is done

and the median of each over the warm runs. The first run is the cold case: the worker is started at the moment the
upload is sent, so it includes the worker's start (Django, torch, the broker, the model's load and first call); it
also prints the seconds from the worker's start to its engine being warm (its log line) and to the first frame. Then a
second worker is started and the clip uploaded once it is ready (its engine warm; with --no-warm, once Celery says it
consumes): the first video of a fresh worker. The warm runs follow on that worker. --no-warm starts the workers with
WORKER_WARM=0 (as workers were before issue 13: the model is loaded by the first video). Videos (each run uploads
each): by default the demo clip of `make run` (CVC-ColonDB sequence 1, 38 frames at 5 fps) and a 25-frame clip cut
from the 25 fps CVC-ColonDB video; a synthetic clip when the datasets are missing.

--via-queue: the configured database and Redis, and the `gpu` workers already running on them (none is started, no
cold case). --in-place: the configured database and Redis, with a worker started here (the tests).
Run timings under `flock /tmp/polypscope-webapp-tests.lock` on a shared machine (the lock the test suite holds).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from webapp.accounts.models import Role
from webapp.accounts.services import user_create
from webapp.benchmarks import fresh_database, machine_facts
from webapp.livebrowser import ROOT, asgi_server, stop_process
from webapp.studies.services import study_create
from webapp.videos.models import FrameResult, Video

DEMO_CLIP = "videos/colondb_seq01_5fps.mp4"  # what `make run` uploads (webapp/embedded/demo.py)
SOURCE_25FPS = "videos/colondb_all_25fps_hold5.mp4"  # the 25 fps CVC-ColonDB video: the 25-frame clip is cut from it
CLIP_FRAMES = 25  # the clip
BENCH_REDIS_DB = 13  # the tests use 14, a developer's instance 0
FIELDS = ("task_start", "first_frame", "first_progress", "first_event", "done")
POLL_S = 0.01
RUN_TIMEOUT_S = 600.0
WORKER_ARGS = ["-m", "celery", "-A", "webapp", "worker", "-Q", "gpu", "--pool", "solo", "--concurrency", "1",
               "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]
WARM_LINE = re.compile(r"engine of model .* warm in")  # webapp/mlops/engines.py, the warmer's line
READY_LINE = re.compile(r"celery@\S+ ready\.")  # Celery's: the worker consumes
WORKER_READY_TIMEOUT_S = 600.0  # compiling the model on the fast path takes about 65 s on 2 CPU cores


class Command(BaseCommand):
    help = "Seconds from an accepted upload to the task, the first stored frame and the first websocket messages."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--video", type=Path, action="append", default=None,
                            help="a clip to upload (repeat for several); default: the demo clip and a 25-frame clip")
        parser.add_argument("--runs", type=int, default=5, help="warm runs per clip (after the cold one)")
        parser.add_argument("--no-warm", action="store_true", help="the worker with WORKER_WARM=0")
        parser.add_argument("--via-queue", action="store_true",
                            help="the configured database and Redis with their running gpu workers (none started)")
        parser.add_argument("--in-place", action="store_true", help="the configured database and Redis (tests)")
        parser.add_argument("--redis-url", default=None, help=f"default: REDIS_URL's server, database {BENCH_REDIS_DB}")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print one JSON object")

    def handle(self, *args, video: list[Path] | None, runs: int, no_warm: bool, via_queue: bool, in_place: bool,
               redis_url: str | None, as_json: bool, **options) -> None:
        if runs < 0:
            raise CommandError("--runs must not be negative")
        own = not (via_queue or in_place)
        redis_url = redis_url or (_redis_db(settings.REDIS_URL, BENCH_REDIS_DB) if own else settings.REDIS_URL)
        facts = {**machine_facts(), "load_average_before": [round(x, 2) for x in os.getloadavg()]}
        with tempfile.TemporaryDirectory(prefix="bench-first-result-") as tmp, ExitStack() as stack:
            tmp = Path(tmp)
            clips = video or _default_clips(tmp)
            for clip in clips:
                if not clip.is_file():
                    raise CommandError(f"{clip}: file not found")
            if own:
                stack.enter_context(fresh_database("first_result"))
            media = Path(settings.MEDIA_ROOT) if via_queue or in_place else tmp / "media"
            stack.enter_context(nullcontext() if via_queue or in_place else override_settings(MEDIA_ROOT=str(media)))
            if own:
                import redis

                redis.Redis.from_url(redis_url).flushdb()  # the bench's own database: no stale tasks
            db = connection.settings_dict
            env = dict(os.environ, MEDIA_ROOT=str(media), REDIS_URL=redis_url, PYTHONPATH=str(ROOT),
                       DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
                       WORKER_WARM="0" if no_warm else os.environ.get("WORKER_WARM", "1"))
            token = _bench_user()
            base = stack.enter_context(asgi_server(env, tmp / "server.log"))
            report = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                      "worker_warm": None if via_queue else not no_warm,
                      "device": settings.INFERENCE_DEVICE, "fast": settings.INFERENCE_FAST,
                      "batch": settings.INFERENCE_BATCH, "clips": [], "cold": None, "first_on_ready_worker": None}
            if not via_queue:
                cold_log, log = tmp / "worker-cold.log", tmp / "worker.log"
                started = time.time()
                with _worker(env, cold_log):
                    cold = asyncio.run(_one_run(base, token, clips[0], worker_log=cold_log, worker_started=started))
                report["cold"] = {"clip": clips[0].name, **cold}
                started = time.time()
                stack.enter_context(_worker(env, log))
                ready = _wait_line(log, READY_LINE if no_warm else WARM_LINE)
                first = asyncio.run(_one_run(base, token, clips[0]))
                report["first_on_ready_worker"] = {"clip": clips[0].name, "worker_ready_s": round(ready - started, 3),
                                                   **first}
            for clip in clips:
                results = [asyncio.run(_one_run(base, token, clip)) for _ in range(runs)]
                report["clips"].append({"clip": clip.name, "frames": results[0]["frames"] if results else None,
                                        "runs": results, "median": _medians(results)})
        facts["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        report["machine"] = facts
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.print_report(report)

    def print_report(self, report: dict) -> None:
        """The report as lines of text (without --json)."""
        warm = "the running workers'" if report["worker_warm"] is None else report["worker_warm"]
        self.stdout.write(f"bench_first_result {report['date']}: worker warm at start: {warm}; "
                          f"device {report['device']}, fast path {report['fast']}, batch {report['batch']}")
        self.stdout.write("seconds from the accepted upload (the video's row committed, its task queued; the 201 "
                          "follows) to: " + ", ".join(FIELDS))
        cold = report["cold"]
        if cold:
            self.stdout.write(f"cold ({cold['clip']}, worker started with the upload): {_row(cold)}; worker start to "
                              f"engine warm {_s(cold.get('worker_warm_s'))}, to first frame "
                              f"{_s(cold.get('worker_first_frame_s'))}; upload request {_s(cold['upload_s'])}")
        first = report.get("first_on_ready_worker")
        if first:
            self.stdout.write(f"first video on a fresh worker once it is ready ({first['clip']}; worker start to ready "
                              f"{_s(first['worker_ready_s'])}): {_row(first)}")
        for clip in report["clips"]:
            self.stdout.write(f"{clip['clip']} ({clip['frames']} frames):")
            for i, run in enumerate(clip["runs"], 1):
                self.stdout.write(f"  run {i}: {_row(run)}; upload request {_s(run['upload_s'])}, 201 at "
                                  f"{_s(run['answered'])}")
            self.stdout.write(f"  median: {_row(clip['median'])}")
        m = report["machine"]
        self.stdout.write(f"machine: {m['cpu']}, {m['cores']} cores; load average {m['load_average_before']} before, "
                          f"{m['load_average_after']} after")


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _row(run: dict) -> str:
    return ", ".join(f"{name} {_s(run.get(name))}" for name in FIELDS)


def _medians(results: list[dict]) -> dict:
    out = {}
    for name in (*FIELDS, "upload_s"):
        values = [r[name] for r in results if r.get(name) is not None]
        out[name] = round(statistics.median(values), 3) if values else None
    return out


def _redis_db(url: str, db: int) -> str:
    """url with its database number replaced (redis://host:port/N)."""
    head, _, tail = url.rpartition("/")
    return f"{head}/{db}" if tail.isdigit() and head.count("/") >= 2 else f"{url.rstrip('/')}/{db}"


def _default_clips(tmp: Path) -> list[Path]:
    demo, source = settings.DEMO_DATASETS / DEMO_CLIP, settings.DEMO_DATASETS / SOURCE_25FPS
    if demo.is_file() and source.is_file():
        return [demo, _cut(source, CLIP_FRAMES, tmp / f"colondb_{CLIP_FRAMES}frames_25fps.mp4")]
    from inference.synthetic import write_sample_video

    return [write_sample_video(tmp / f"synthetic_{CLIP_FRAMES}frames.mp4", frames=CLIP_FRAMES, fps=25.0)]


def _cut(source: Path, frames: int, dest: Path) -> Path:
    """The first `frames` frames of source as an MPEG-4 clip at its frame rate."""
    import cv2

    cap = cv2.VideoCapture(str(source))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    out = None
    try:
        for _ in range(frames):
            ok, frame = cap.read()
            if not ok:
                break
            if out is None:
                h, w = frame.shape[:2]
                out = cv2.VideoWriter(str(dest), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            out.write(frame)
    finally:
        cap.release()
        if out is not None:
            out.release()
    return dest


def _bench_user() -> str:
    """A gastroenterologist with an API token (the client's credentials); returns the token."""
    from rest_framework.authtoken.models import Token

    user = user_create(username=f"bench-first-{secrets.token_hex(3)}", password=None, role=Role.GASTROENTEROLOGIST)
    return Token.objects.create(user=user).key


@contextmanager
def _worker(env: dict[str, str], log_path: Path):
    """One `gpu` worker the production way (solo pool), stopped warm afterwards."""
    with log_path.open("ab") as log:
        proc = subprocess.Popen([sys.executable, *WORKER_ARGS], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        stop_process(proc, timeout_s=30)


class _FirstFrame(threading.Thread):
    """Polls the database for the video's first stored frame (its own connection); notes when the video was accepted
    (its row written: created_at) and when the worker planned it (started_at)."""

    def __init__(self, video_id: int, deadline: float) -> None:
        super().__init__(daemon=True, name="first-frame-poll")
        self.video_id, self.deadline = video_id, deadline
        self.first_frame: float | None = None
        self.created: float | None = None
        self.started: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            while not self.stop.is_set() and time.time() < self.deadline:
                found = FrameResult.objects.filter(video_id=self.video_id).exists()
                now = time.time()
                if self.started is None or self.created is None:
                    created, started = Video.objects.filter(pk=self.video_id).values_list(
                        "created_at", "started_at").first() or (None, None)
                    self.created = created.timestamp() if created else None
                    self.started = started.timestamp() if started else None
                if found:
                    self.first_frame = now
                    return
                time.sleep(POLL_S)
        finally:
            connection.close()


def _wait_line(log_path: Path, pattern: re.Pattern, timeout_s: float = WORKER_READY_TIMEOUT_S) -> float:
    """The time a line matching pattern appeared in the worker's log (waited for)."""
    found: dict = {}
    _log_line_time(log_path, pattern, found, deadline=time.time() + timeout_s)
    if "at" not in found:
        raise CommandError(f"the worker did not log {pattern.pattern!r} within {timeout_s:.0f} s: see {log_path}")
    return found["at"]


def _log_line_time(log_path: Path, pattern: re.Pattern, found: dict, deadline: float | None = None) -> None:
    """Watch the worker's log (in a thread) and note when a line matching pattern appears."""
    seen = 0
    while "at" not in found and not found.get("stop") and (deadline is None or time.time() < deadline):
        text = log_path.read_text(errors="replace") if log_path.is_file() else ""
        if pattern.search(text, seen):
            found["at"] = time.time()
            return
        seen = max(len(text) - 200, 0)
        time.sleep(POLL_S)


async def _one_run(base: str, token: str, clip: Path, *, worker_log: Path | None = None,
                   worker_started: float | None = None) -> dict:
    """Upload clip into a new study over HTTP, then follow the video on its websocket and in the database."""
    import httpx
    from asgiref.sync import sync_to_async
    from websockets.asyncio.client import connect

    @sync_to_async(thread_sensitive=False)
    def new_study() -> int:
        from rest_framework.authtoken.models import Token

        owner = Token.objects.get(key=token).user
        study = study_create(owner=owner, patient_pseudo_id=f"BENCH-FIRST-{uuid.uuid4().hex[:8]}",
                             date=dt.date.today(), indication="time to first result")
        connection.close()
        return study.pk

    study_id = await new_study()
    warm: dict = {}
    if worker_log is not None:
        threading.Thread(target=_log_line_time, args=(worker_log, WARM_LINE, warm), daemon=True).start()
    headers = {"Authorization": f"Token {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=RUN_TIMEOUT_S) as http:
        sent = time.time()
        answer = await http.post(f"/api/studies/{study_id}/videos/",
                                 files={"file": (clip.name, clip.read_bytes(), "video/mp4")})
        accepted = time.time()
        if answer.status_code != 201:
            raise CommandError(f"upload refused: {answer.status_code} {answer.text[:300]}")
        video = answer.json()
        poll = _FirstFrame(video["id"], accepted + RUN_TIMEOUT_S)
        poll.start()
        messages: list[tuple[float, dict]] = []
        ws_url = base.replace("http://", "ws://") + f"/ws/videos/{video['id']}/?token={token}"
        try:
            async with connect(ws_url, origin=base, open_timeout=30) as socket:  # the browser's Origin (asgi.py)
                opened = time.time()
                while True:
                    try:
                        raw = await asyncio.wait_for(socket.recv(), max(accepted + RUN_TIMEOUT_S - time.time(), 1))
                    except TimeoutError:
                        raise CommandError(f"video {video['id']}: not done within {RUN_TIMEOUT_S:.0f} s") from None
                    message = json.loads(raw)
                    messages.append((time.time(), message))
                    if message.get("status") in ("done", "failed", "cancelled"):
                        break
            poll.join(timeout=5)
        finally:
            poll.stop.set()
            poll.join(timeout=5)  # its connection closed before the database may be dropped
            warm["stop"] = True
    final = messages[-1][1]
    if final.get("status") != "done":
        raise CommandError(f"video {video['id']} ended {final.get('status')}: {final.get('error')}")

    # t = 0: the upload accepted, its row committed (created_at, the moment the task is queued on commit); the 201
    # reaches the client a little later ("answered").
    origin = poll.created or accepted

    def since(t: float | None, origin: float = origin) -> float | None:
        return None if t is None else round(t - origin, 3)

    progress = [t for t, m in messages if m.get("type") == "progress"]
    events = [t for t, m in messages if m.get("events")]
    result = {
        "video": video["id"], "frames": final.get("frame_count"), "upload_s": round(accepted - sent, 3),
        "answered": since(accepted), "websocket_open": since(opened),
        "task_start": since(poll.started), "first_frame": since(poll.first_frame),
        "first_progress": since(progress[0] if progress else None),
        "first_event": since(events[0] if events else None), "done": since(messages[-1][0]),
        "messages": [[since(t), m.get("frames_done"), len(m.get("events") or [])] for t, m in messages],
        # The first frame was stored before the socket joined its group: its progress message may have gone by.
        "first_frame_before_socket": poll.first_frame is not None and poll.first_frame < opened,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if worker_started is not None:
        result["worker_warm_s"] = since(warm.get("at"), worker_started)
        result["worker_first_frame_s"] = since(poll.first_frame, worker_started)
        result["worker_started_before_upload_s"] = round(sent - worker_started, 3)
    return result
