"""How many reviewers one web replica holds: simulated reviewers against the real web server.

    python manage.py bench_load [--reviewers 50] [--seconds 60] [--think 1.0] [--video FILE | --synthetic-frames N]
                                [--in-place] [--json]

In a fresh PostgreSQL database of its own (beside the configured one, dropped afterwards; --in-place: the configured
database, for the test) and a temporary media folder: a study made by the services (study_create, then an admin
assigns the reviewers, study_set_members), one video uploaded (video_upload) and processed in this process by the
real pipeline (video_process, with the active model: the shipped one, or POLYPSCOPE_CHECKPOINT), and one
gastroenterologist per simulated reviewer with an API token. Default video: CVC-ColonDB's 1,895-frame clip
`colondb_all_25fps_hold5.mp4` (574x500, 25 fps) from settings.DEMO_DATASETS, as in issue 11's measurement
(processing it takes about 5 minutes on 2 CPU cores, before anything is timed).

Then the web server is started the production way (`python -m webapp.server`: uvicorn serving webapp.asgi, one
process, a pool of DATABASE_POOL_MAX_SIZE PostgreSQL connections, no worker beside it;
Redis as the channel layer) and each reviewer, an asyncio task with its own HTTP connection (httpx) and its own
websocket to /ws/videos/{id}/ held open all the time (websockets), repeats what the review page asks for
(frontend/src/api/client.ts): the study list, the video, its timeline, its events, then its mask chunks of 500
frames in order (frontend/src/pages/video/maskCache.ts), with an exponentially distributed think time before every
request (mean --think seconds; 0: none). After --seconds the reviewers stop; requests still in flight finish.

Printed for each run (comma lists of --reviewers and --think run one after another on the same server): requests,
requests/s, p50, p95, p99 latency (from sending the request to the last byte of the answer, measured in the client,
which shares the machine), errors (any answer but 2xx, a timeout or a dropped connection), websockets opened and
still open at the end, per-endpoint p50/p95, and the machine: CPU, cores, load average before and after.
Issue 11's target with 1 s think time: p95 < 200 ms and no error.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import random
import secrets
import tempfile
import time
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from webapp.accounts.models import Role, User
from webapp.accounts.services import user_create
from webapp.benchmarks import fresh_database, kept_database, machine_facts
from webapp.livebrowser import asgi_server
from webapp.studies.models import Study
from webapp.studies.services import study_create, study_set_members
from webapp.videos.models import Video, VideoStatus
from webapp.videos.pipeline import video_process
from webapp.videos.services import video_upload

DEFAULT_VIDEO = "videos/colondb_all_25fps_hold5.mp4"  # under settings.DEMO_DATASETS: issue 11's 1,895 frames
MASK_CHUNK_FRAMES = 500  # frontend/src/pages/video/maskCache.ts CHUNK_FRAMES
P95_TARGET_MS = 200.0  # issue 11, with 1 s mean think time
REQUEST_TIMEOUT_S = 30.0
SERVERS = {
    "uvicorn": None,  # webapp.server.command: what production runs
    "daphne": ["-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", "webapp.asgi:application"],
}


@dataclass
class RunResult:
    reviewers: int
    think_s: float
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # endpoint -> ms
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # what -> count
    sockets_opened: int = 0
    sockets_open_at_end: int = 0
    finished: int = 0  # reviewers past the deadline

    def summary(self) -> dict:
        every = np.array([ms for values in self.latencies.values() for ms in values] or [np.nan])
        n, errors = int(np.isfinite(every).sum()), sum(self.errors.values())
        p50, p95, p99 = (float(np.nanpercentile(every, q)) if n else float("nan") for q in (50, 95, 99))
        return {
            "reviewers": self.reviewers, "think_s": self.think_s, "seconds": round(self.seconds, 1),
            "requests": n, "requests_per_s": round(n / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "p99_ms": round(p99, 1),
            "errors": errors, "error_kinds": dict(self.errors),
            "websockets": {"opened": self.sockets_opened, "open_at_end": self.sockets_open_at_end},
            "endpoints": {name: {"n": len(v), "p50_ms": round(float(np.percentile(v, 50)), 1),
                                 "p95_ms": round(float(np.percentile(v, 95)), 1)}
                          for name, v in sorted(self.latencies.items()) if v},
            "target": {"p95_ms_below": P95_TARGET_MS, "errors": 0,
                       "met": bool(n and p95 < P95_TARGET_MS and errors == 0)},
        }


def _think(mean_s: float, rng: random.Random) -> float:
    return rng.expovariate(1.0 / mean_s) if mean_s > 0 else 0.0


async def _reviewer(base: str, token: str, video: dict, study_id: int, run: RunResult, deadline: float,
                    rng: random.Random, stop: asyncio.Event) -> None:
    """One person on the review page, over and over until the deadline; the websocket stays open throughout."""
    import httpx
    import websockets
    from websockets.asyncio.client import connect

    vid = video["id"]
    chunks = [(s, min(video["frame_count"], s + MASK_CHUNK_FRAMES))
              for s in range(0, max(video["frame_count"], 1), MASK_CHUNK_FRAMES)]
    page = ([("study list", "/api/studies/?page_size=50"), ("video", f"/api/videos/{vid}/"),
             ("timeline", f"/api/videos/{vid}/timeline/"), ("events", f"/api/videos/{vid}/events/")]
            + [("mask chunk", f"/api/videos/{vid}/masks/?start={s}&end={e}") for s, e in chunks])
    ws_url = base.replace("http://", "ws://") + f"/ws/videos/{vid}/?token={token}"
    socket = None
    try:
        socket = await connect(ws_url, origin=base, open_timeout=REQUEST_TIMEOUT_S)
        run.sockets_opened += 1
    except (TimeoutError, OSError, websockets.WebSocketException) as exc:
        run.errors[f"websocket refused: {type(exc).__name__}"] += 1
    drain = asyncio.create_task(_drain(socket)) if socket is not None else None
    headers = {"Authorization": f"Token {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT_S) as client:
        while True:
            for name, path in page:
                pause = _think(run.think_s, rng)
                if time.monotonic() + pause >= deadline:
                    run.finished += 1
                    await stop.wait()
                    if socket is not None:
                        run.sockets_open_at_end += socket.state.name == "OPEN"
                        drain.cancel()
                        await socket.close()
                    return
                await asyncio.sleep(pause)
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                    await response.aread()
                except httpx.HTTPError as exc:
                    run.errors[f"{name}: {type(exc).__name__}"] += 1
                    continue
                elapsed_ms = (time.perf_counter() - started) * 1000
                if response.status_code // 100 != 2:
                    run.errors[f"{name}: HTTP {response.status_code}"] += 1
                else:
                    run.latencies[name].append(elapsed_ms)


async def _drain(socket) -> None:
    """Read (and drop) what the server pushes, so the socket's buffers never fill."""
    try:
        async for _ in socket:
            pass
    except Exception:  # noqa: BLE001 - a closed socket is counted at the end, not here
        return


async def _run(base: str, tokens: list[str], video: dict, study_id: int, reviewers: int, think_s: float,
               seconds: float, seed: int) -> RunResult:
    run = RunResult(reviewers=reviewers, think_s=think_s)
    started = time.monotonic()
    deadline = started + seconds
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_reviewer(base, tokens[i], video, study_id, run, deadline,
                                           random.Random(seed * 1000 + i), stop)) for i in range(reviewers)]
    # Each reviewer stops asking at the deadline and, once its request in flight is answered, waits for `stop`.
    while run.finished < reviewers and not any(t.done() for t in tasks):
        await asyncio.sleep(0.05)
    run.seconds = time.monotonic() - started
    stop.set()
    await asyncio.gather(*tasks)
    return run


def _server_errors(log: str) -> dict[str, int]:
    """What the server logged as errors: each traceback's last line (the exception), counted."""
    found: dict[str, int] = defaultdict(int)
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j].strip()):
                j += 1
            if j < len(lines):
                found[lines[j].strip()[:300]] += 1
    return dict(found)


class Command(BaseCommand):
    help = "Simulated reviewers against the real web server: requests/s, p50, p95, p99, errors."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--reviewers", default="50", help="simulated reviewers; a comma list runs each in turn")
        parser.add_argument("--seconds", type=float, default=60.0, help="length of each run")
        parser.add_argument("--think", default="1.0",
                            help="mean think time before each request, seconds (exponential; 0: none); a comma list")
        parser.add_argument("--video", type=Path, default=None,
                            help=f"the video to upload and process (default DEMO_DATASETS/{DEFAULT_VIDEO})")
        parser.add_argument("--synthetic-frames", type=int, default=None,
                            help="instead of --video: a synthetic 64x48 video of this many frames (quick runs)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--in-place", action="store_true",
                            help="use the configured database instead of a fresh one (tests)")
        parser.add_argument("--keep-database", metavar="NAME", default=None,
                            help="prepare in database NAME and keep it; a later run with the same NAME skips the "
                                 "preparation (the processed video and the reviewers are already there)")
        parser.add_argument("--server", choices=sorted(SERVERS), default="uvicorn",
                            help="the ASGI server: uvicorn (production, webapp/server.py) or daphne (the one it "
                                 "replaced, for comparison)")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print one JSON object")

    def handle(self, *args, reviewers: str, seconds: float, think: str, video: Path | None,
               synthetic_frames: int | None, seed: int, in_place: bool, keep_database: str | None, server: str,
               as_json: bool, **options) -> None:
        counts = [int(x) for x in reviewers.split(",")]
        thinks = [float(x) for x in think.split(",")]
        if min(counts) < 1 or seconds <= 0 or min(thinks) < 0:
            raise CommandError("--reviewers and --seconds must be positive, --think not negative")
        if synthetic_frames is None:
            video = video or settings.DEMO_DATASETS / DEFAULT_VIDEO
            if not video.is_file():
                raise CommandError(f"{video}: no such video (give --video FILE or --synthetic-frames N)")
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line a request otherwise
        began = time.monotonic()
        facts = {**machine_facts(), "load_average_before": [round(x, 2) for x in os.getloadavg()]}
        database = (nullcontext() if in_place else kept_database(keep_database) if keep_database
                    else fresh_database("bench_load"))
        with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, database, \
                override_settings(MEDIA_ROOT=str(Path(tmp) / "media")):
            prepared = self._prepared(max(counts)) if keep_database else None
            data, tokens, video_info = prepared or self._prepare(Path(tmp), video, synthetic_frames, max(counts))
            prepared_s = time.monotonic() - began
            db = connection.settings_dict
            env = dict(os.environ, MEDIA_ROOT=str(Path(tmp) / "media"),
                       DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
            runs = []
            log = Path(tmp) / "server.log"
            with asgi_server(env, log, command=SERVERS[server]) as base:
                for n in counts:
                    for mean in thinks:
                        result = asyncio.run(_run(base, tokens, video_info, data["study"], n, mean, seconds, seed))
                        runs.append(result.summary())
            server_errors = _server_errors(log.read_text(errors="replace"))
        facts["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        report = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                  "server": f"{server} (1 process, no worker)", "video": video_info,
                  "prepared_s": round(prepared_s, 1), "runs": runs, "server_errors": server_errors,
                  "machine": facts}
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self._print(report)

    def _prepared(self, reviewers: int) -> tuple[dict, list[str], dict] | None:
        """What a run with --keep-database prepared before (its newest study), with at least `reviewers` members."""
        from rest_framework.authtoken.models import Token

        study = Study.objects.filter(patient__pseudo_id__startswith="BENCH-LOAD-").order_by("-pk").first()
        video = study and study.videos.filter(status=VideoStatus.DONE).first()
        if video is None:
            return None
        people = list(study.members.filter(role=Role.GASTROENTEROLOGIST).order_by("pk"))
        if len(people) < reviewers:
            tag = secrets.token_hex(3)
            people += [user_create(username=f"bench-load-{tag}-{i}", password=None, role=Role.GASTROENTEROLOGIST)
                       for i in range(reviewers - len(people))]
            study_set_members(study=study, member_ids=[p.pk for p in people], user=study.owner)
        tokens = [Token.objects.get_or_create(user=p)[0].key for p in people[:reviewers]]
        self.stderr.write(f"reusing study {study.pk} and video {video.pk} ({video.frame_count} frames)")
        return ({"study": study.pk}, tokens, {"id": video.pk, "name": video.original_name,
                                              "frame_count": video.frame_count, "events": video.events.count()})

    def _prepare(self, tmp: Path, video_path: Path | None, synthetic_frames: int | None,
                 reviewers: int) -> tuple[dict, list[str], dict]:
        from rest_framework.authtoken.models import Token

        tag = secrets.token_hex(3)
        admin = user_create(username=f"bench-load-admin-{tag}", password=None, role=Role.ADMIN)
        people: list[User] = [user_create(username=f"bench-load-{tag}-{i}", password=None,
                                          role=Role.GASTROENTEROLOGIST) for i in range(reviewers)]
        study = study_create(owner=admin, patient_pseudo_id=f"BENCH-LOAD-{tag}", date=dt.date.today(),
                             indication="load benchmark")
        study_set_members(study=study, member_ids=[p.pk for p in people], user=admin)
        if synthetic_frames is not None:
            from inference.synthetic import write_sample_video

            video_path = write_sample_video(tmp / "synthetic.mp4", frames=synthetic_frames, size=(64, 48), fps=25.0)
        upload = SimpleUploadedFile(video_path.name, video_path.read_bytes(), content_type="video/mp4")
        video = video_upload(study=study, upload=upload, user=admin, enqueue=False)
        self.stderr.write(f"processing {video_path.name} ({video.frame_count} frames) with the active model ...")
        video_process(video_id=video.pk)
        video = Video.objects.get(pk=video.pk)
        if video.status != VideoStatus.DONE:
            raise CommandError(f"video {video.pk} ended {video.status}: {video.error}")
        tokens = [Token.objects.create(user=p).key for p in people]
        info = {"id": video.pk, "name": video_path.name, "frame_count": video.frame_count,
                "events": video.events.count()}
        return {"study": study.pk}, tokens, info

    def _print(self, report: dict) -> None:
        v = report["video"]
        self.stdout.write(f"bench_load {report['date']}: {report['server']}; video {v['name']}, "
                          f"{v['frame_count']} frames, {v['events']} events (prepared in {report['prepared_s']} s)")
        for r in report["runs"]:
            think = f"think {r['think_s']:g} s" if r["think_s"] else "no think time"
            ws = r["websockets"]
            self.stdout.write(
                f"{r['reviewers']} reviewers, {think}, {r['seconds']} s: {r['requests']} requests, "
                f"{r['requests_per_s']} req/s, p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, "
                f"p99 {r['p99_ms']:.0f} ms, errors {r['errors']}; websockets {ws['opened']} opened, "
                f"{ws['open_at_end']} open at the end")
            for name, e in r["endpoints"].items():
                self.stdout.write(f"    {name:<11} n {e['n']:>6}  p50 {e['p50_ms']:>7.1f} ms  "
                                  f"p95 {e['p95_ms']:>7.1f} ms")
            for what, count in r["error_kinds"].items():
                self.stdout.write(f"    error: {what} x{count}")
            if r["think_s"] == 1.0:
                met = "met" if r["target"]["met"] else "NOT met"
                self.stdout.write(f"    target (1 s think time): p95 < {P95_TARGET_MS:.0f} ms and 0 errors: {met}")
        for line, count in report["server_errors"].items():
            self.stdout.write(f"server log: {line} x{count}")
        m = report["machine"]
        self.stdout.write(f"machine: {m['cpu']}, {m['cores']} cores; load average {m['load_average_before']} before, "
                          f"{m['load_average_after']} after")
