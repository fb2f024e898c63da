"""How fast the review page of a long video renders in Chromium on localhost.

    python manage.py bench_review_page [--frames 18000] [--fps 30] [--events 40] [--runs 5]

Makes a study with one processed video of `frames` frames (a small synthetic file, per-frame results with
a random-walk polyp score and real RLE masks, events grouped by webapp.videos.events), starts the web server
(webapp/server.py) on a free port against the configured database, logs in with Chromium and opens
/app/videos/{id} `runs` times.
Prints, per run and as a median: ms from navigation start until the timeline is drawn and every event
row is listed (`ready_ms`), the timeline request's duration and its size. Everything it made is deleted
afterwards. Needs the built review UI (`make frontend`) and Debian's chromium.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import statistics
import tempfile
from pathlib import Path

import cv2
import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from webapp.accounts.models import Role, User
from webapp.accounts.services import user_create
from webapp.livebrowser import asgi_server, launch_chromium
from webapp.media import discard
from webapp.mlops.services import model_version_ensure_active
from webapp.studies.models import Patient
from webapp.studies.services import study_create
from webapp.videos import rle
from webapp.videos.events import HIGH_SCORE, find_events_at
from webapp.videos.models import FrameResult, PolypEvent, Video, VideoStatus
from webapp.videos.services import video_upload

# The stored file is tiny (its frames are never decoded by this benchmark): 64x48 px, 30 s.
FILE_SIZE = (64, 48)
FILE_FRAMES = 900


class Command(BaseCommand):
    help = "Print how long the review page of a long processed video takes to render in Chromium."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--frames", type=int, default=18_000, help="frames of the video (10 min at 30 fps)")
        parser.add_argument("--fps", type=float, default=30.0)
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--json", action="store_true", dest="as_json", help="print one JSON object")

    def handle(self, *args, frames: int, fps: float, runs: int, as_json: bool, **options) -> None:
        if frames < 1 or fps <= 0 or runs < 1:
            raise CommandError("--frames, --fps and --runs must be positive")
        video, user, password = self._make(frames, fps)
        try:
            result = self._measure(video, user.username, password, runs)
        finally:
            study = video.study
            Video.objects.filter(pk=video.pk).delete()  # frames, events cascade; the file goes below
            discard(video.file.name)
            study.delete()
            Patient.objects.filter(pk=study.patient_id, studies__isnull=True).delete()
            user.is_active = False  # audit entries name it; users are deactivated, never deleted
            user.save(update_fields=["is_active"])
        if as_json:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            for i, run in enumerate(result["runs"], 1):
                self.stdout.write(f"run {i}: ready {run['ready_ms']:.0f} ms, timeline request "
                                  f"{run['timeline_ms']:.0f} ms, {run['timeline_bytes'] / 1024:.0f} KiB")
            self.stdout.write(f"{frames} frames, {result['events']} events: median ready "
                              f"{result['ready_ms_median']:.0f} ms (target < 1000 ms)")

    def _make(self, frames: int, fps: float) -> tuple[Video, User, str]:
        password = secrets.token_urlsafe(12)
        user = user_create(username=f"bench-ui-{secrets.token_hex(3)}", password=password, role=Role.ADMIN)
        study = study_create(owner=user, patient_pseudo_id=f"BENCH-{secrets.token_hex(3)}",
                             date=dt.date.today(), indication="benchmark")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.mp4"
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, FILE_SIZE)
            rng = np.random.default_rng(0)
            for _ in range(FILE_FRAMES):
                writer.write(rng.integers(0, 255, (FILE_SIZE[1], FILE_SIZE[0], 3), dtype=np.uint8))
            writer.release()
            video = video_upload(study=study, user=user, enqueue=False,
                                 upload=SimpleUploadedFile("bench.mp4", path.read_bytes(), content_type="video/mp4"))
        version = model_version_ensure_active()
        scores = _random_walk(frames)
        mask = np.zeros((FILE_SIZE[1], FILE_SIZE[0]), dtype=bool)
        mask[10:30, 20:40] = True
        polyp, empty = rle.encode(mask), rle.encode(np.zeros_like(mask))
        FrameResult.objects.bulk_create(
            [FrameResult(video=video, index=i, time_s=i / fps, score=float(s), area=0.13 if s >= 0.5 else 0.0,
                         flagged=bool(s >= HIGH_SCORE), mask_rle=polyp if s >= 0.5 else empty, model_version=version)
             for i, s in enumerate(scores)],
            batch_size=2000,
        )
        events = find_events_at(list(scores), fps)
        PolypEvent.objects.bulk_create([
            PolypEvent(video=video, start_index=e.start, end_index=e.end, peak_index=e.peak, peak_score=e.peak_score,
                       start_s=e.start / fps, end_s=(e.end + 1) / fps) for e in events])
        Video.objects.filter(pk=video.pk).update(status=VideoStatus.DONE, frame_count=frames, frames_done=frames,
                                                 fps=fps, duration_s=frames / fps, model_version=version)
        return Video.objects.get(pk=video.pk), user, password

    def _measure(self, video: Video, username: str, password: str, runs: int) -> dict:
        from playwright.sync_api import sync_playwright

        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM reads below run beside Playwright's loop
        n_events = PolypEvent.objects.filter(video=video).count()
        db = connection.settings_dict
        env = dict(os.environ, DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
                   if db["ENGINE"].endswith("postgresql") else os.environ.get("DATABASE_URL", ""))
        out: list[dict] = []
        with tempfile.TemporaryDirectory() as tmp, asgi_server(env, Path(tmp) / "server.log") as base, \
                sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            login = page.request.post(base + "/api/auth/session/", data={"username": username, "password": password})
            if not login.ok:
                raise CommandError(f"login failed: {login.status} {login.text()}")
            page.goto(base + f"/api/videos/{video.pk}/timeline/")  # warm the server's first request
            for _ in range(runs):
                page.goto("about:blank")
                page.goto(base + f"/app/videos/{video.pk}")
                page.wait_for_function(
                    "n => document.querySelectorAll('[data-testid=event-row]').length === n"
                    " && document.querySelector('[data-testid=timeline-canvas]')?.width > 0", arg=n_events,
                    timeout=60_000)
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                out.append(page.evaluate(
                    """() => {
                        const t = performance.getEntriesByType('resource').find(e => e.name.includes('/timeline/'));
                        const waterfall = performance.getEntriesByType('resource').map(e =>
                            [e.name.replace(location.origin, ''), Math.round(e.startTime), Math.round(e.responseEnd)]);
                        return {ready_ms: performance.now(), timeline_ms: t ? t.duration : -1,
                                timeline_bytes: t ? t.encodedBodySize : -1, waterfall};
                    }"""))
            browser.close()
        return {"frames": video.frame_count, "events": n_events, "runs": out,
                "ready_ms_median": statistics.median(r["ready_ms"] for r in out)}


def _random_walk(frames: int) -> np.ndarray:
    """Polyp scores that drift in and out of view like a withdrawal: a clipped random walk, seeded."""
    rng = np.random.default_rng(2021)
    return np.clip(np.cumsum(rng.normal(0, 0.04, frames)) % 2.0 - 0.5, 0.0, 1.0).round(4)

