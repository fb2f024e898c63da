"""What a large upload costs the web process's memory: a file sent through the resumable protocol's local-disk path
(webapp/transfers) to the real web server, with the server's resident memory sampled all along.

    python manage.py bench_upload [--size-mb 2048] [--sparse] [--part-mb 16] [--parallel 4] [--json]

In a fresh PostgreSQL database of its own (dropped afterwards), a temporary media folder and a Redis database of its
own (REDIS_URL's host, db 13; its queue is emptied afterwards): a gastroenterologist with an API token and a study,
made by the services. The file: by default a real video of about --size-mb (an MJPEG AVI of 1280x720 noise frames,
which do not compress: about 0.6 MB a frame), so completing runs every check of an upload (assembly, sha256, the
decode of every frame) and makes the video; --sparse: a sparse file of zeros (made in a moment, refused as "not a
video" after assembly and hashing).

The web server is started as the browser tests start it (webapp.livebrowser.asgi_server: `python -m webapp.server`),
with UPLOAD_MAX_BYTES and UPLOAD_PART_BYTES to fit. This process is the client: it starts the session, PUTs the
parts (--parallel at a time, each read from the file, through httpx with the token) and completes it. A thread reads
the server's VmRSS from /proc every 20 ms; the kernel's peak (VmHWM) is reset after a warm-up request
(/proc/<pid>/clear_refs, 5) and read at the end, so no peak between samples is missed.

Printed: the file, the parts, seconds and MB/s of sending, seconds of completing and its answer, the server's RSS
before, its peak while sending, its peak while completing, the peak growth over the RSS before, and the RSS after.
Issue 11's target: a 2 GB upload raises the web process's memory by under 100 MB.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import httpx
import numpy as np
import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from rest_framework.authtoken.models import Token

from webapp.accounts.models import Role
from webapp.accounts.services import user_create
from webapp.benchmarks import fresh_database
from webapp.livebrowser import asgi_server
from webapp.studies.services import study_create

MB = 1024 * 1024
SAMPLE_S = 0.02
BENCH_REDIS_DB = 13


def _status_kb(pid: int) -> dict[str, int]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM")}


def _server_pid(port: int) -> int:
    """The process that serves `port`: the one whose command line names it (webapp.server, one process)."""
    mine = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"webapp.server" in argv and str(port).encode() in argv:
                mine.append(int(entry.name))
    if len(mine) != 1:
        raise CommandError(f"expected one server process on port {port}, found {mine}")
    return mine[0]


class Sampler(threading.Thread):
    """The highest VmRSS seen, in KB, per phase."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.phase, self.peaks = pid, "idle", {}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            rss = _status_kb(self.pid)["VmRSS"]
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)
            time.sleep(SAMPLE_S)


def _noise_video(path: Path, size_bytes: int) -> int:
    """An MJPEG AVI of 1280x720 noise of at least size_bytes; returns its frames."""
    rng = np.random.default_rng(0)
    pool = [rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8) for _ in range(8)]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (1280, 720))
    frames = 0
    try:
        while True:
            writer.write(pool[frames % len(pool)])
            frames += 1
            if frames % 100 == 0 and path.stat().st_size >= size_bytes:
                return frames
    finally:
        writer.release()


class Command(BaseCommand):
    help = "The web process's memory while a large file is uploaded through the resumable protocol (local disk)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--size-mb", type=int, default=2048, help="the file's size, MiB (default 2048)")
        parser.add_argument("--sparse", action="store_true", help="a sparse file of zeros instead of a real video")
        parser.add_argument("--part-mb", type=int, default=16, help="UPLOAD_PART_BYTES in MiB (default 16)")
        parser.add_argument("--parallel", type=int, default=4, help="parts in flight at once (the browser's 4)")
        parser.add_argument("--work-dir", default=None, help="where the file and the media go (default: temp)")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, size_mb: int, sparse: bool, part_mb: int, parallel: int, work_dir: str | None,
               as_json: bool = False, **options) -> None:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        with tempfile.TemporaryDirectory(prefix="bench-upload-", dir=work_dir) as tmp, fresh_database("bench_upload"):
            tmp_path = Path(tmp)
            source = tmp_path / ("zeros.mp4" if sparse else "noise.avi")
            made = time.monotonic()
            if sparse:
                with source.open("wb") as out:
                    out.truncate(size_mb * MB)
                frames = 0
            else:
                self.stderr.write(f"writing a {size_mb} MiB noise video ...")
                frames = _noise_video(source, size_mb * MB)
            size = source.stat().st_size
            self.stderr.write(f"{source.name}: {size / MB:.0f} MiB, {frames} frames, made in "
                              f"{time.monotonic() - made:.0f} s")
            report = self._run(tmp_path, source, size, frames, part_mb * MB, parallel)
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self._print(report)

    def _run(self, tmp: Path, source: Path, size: int, frames: int, part: int, parallel: int) -> dict:
        user = user_create(username="bench-upload", password=None, role=Role.GASTROENTEROLOGIST)
        study = study_create(owner=user, patient_pseudo_id="BENCH-UPLOAD", date=dt.date.today(),
                             indication="upload benchmark")
        token = Token.objects.create(user=user).key
        db = connection.settings_dict
        bench_redis = redis.Redis.from_url(settings.REDIS_URL, db=BENCH_REDIS_DB)
        redis_url = bench_redis.connection_pool.connection_kwargs
        env = dict(os.environ, MEDIA_ROOT=str(tmp / "media"), UPLOAD_PART_BYTES=str(part),
                   UPLOAD_MAX_BYTES=str(max(size, settings.UPLOAD_MAX_BYTES)),
                   REDIS_URL=f"redis://{redis_url.get('host', '127.0.0.1')}:{redis_url.get('port', 6379)}/"
                             f"{BENCH_REDIS_DB}",
                   DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
        log = tmp / "server.log"
        try:
            with asgi_server(env, log) as base, httpx.Client(base_url=base, timeout=600,
                                                             headers={"Authorization": f"Token {token}"}) as client:
                pid = _server_pid(int(base.rsplit(":", 1)[1]))
                client.get(f"/api/studies/{study.pk}/")  # warm: the first request imports and connects
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
                before = _status_kb(pid)["VmRSS"]
                sampler = Sampler(pid)
                sampler.start()
                sampler.phase = "sending"
                began = time.monotonic()
                session = client.post(f"/api/studies/{study.pk}/uploads/",
                                      json={"filename": source.name, "size": size})
                if session.status_code != 201:
                    raise CommandError(f"starting the upload: {session.status_code} {session.text}")
                session = session.json()
                self._send(client, session, source, parallel)
                sent_s = time.monotonic() - began
                sampler.phase = "completing"
                began = time.monotonic()
                completed = client.post(f"/api/uploads/{session['id']}/complete/")
                complete_s = time.monotonic() - began
                sampler.phase = "after"
                time.sleep(0.5)
                sampler.stopped.set()
                sampler.join()
                after = _status_kb(pid)
        finally:
            bench_redis.delete("gpu")  # the message that queued the video: no worker serves this database
        answer = completed.json()
        return {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "file": {"name": source.name, "bytes": size, "frames": frames},
            "parts": {"size": session["part_size"], "count": session["part_count"], "parallel": parallel},
            "sending_s": round(sent_s, 1), "sending_mb_s": round(size / MB / sent_s, 1),
            "complete": {"status": completed.status_code, "seconds": round(complete_s, 1),
                         "video": answer.get("id"), "frame_count": answer.get("frame_count"),
                         "detail": answer.get("detail")},
            "rss_mb": {"before": round(before / 1024, 1),
                       "peak_sending": round(sampler.peaks.get("sending", 0) / 1024, 1),
                       "peak_completing": round(sampler.peaks.get("completing", 0) / 1024, 1),
                       "peak_kernel": round(after["VmHWM"] / 1024, 1),
                       "peak_growth": round((after["VmHWM"] - before) / 1024, 1),
                       "after": round(after["VmRSS"] / 1024, 1)},
        }

    @staticmethod
    def _send(client: httpx.Client, session: dict, source: Path, parallel: int) -> None:
        part_size = session["part_size"]
        fd = os.open(source, os.O_RDONLY)

        def put(url: dict) -> None:
            body = os.pread(fd, url["size"], (url["number"] - 1) * part_size)
            answer = client.put(url["url"], content=body)
            if answer.status_code != 200:
                raise CommandError(f"part {url['number']}: {answer.status_code} {answer.text}")

        try:
            with ThreadPoolExecutor(parallel) as pool:
                list(pool.map(put, session["part_urls"]))
        finally:
            os.close(fd)

    def _print(self, r: dict) -> None:
        rss, c = r["rss_mb"], r["complete"]
        self.stdout.write(
            f"{r['date']}: {r['file']['name']} {r['file']['bytes'] / MB:.0f} MiB ({r['file']['frames']} frames) in "
            f"{r['parts']['count']} parts of {r['parts']['size'] // MB} MiB, {r['parts']['parallel']} at a time\n"
            f"  sending   {r['sending_s']:7.1f} s  ({r['sending_mb_s']} MB/s)\n"
            f"  complete  {c['seconds']:7.1f} s  -> {c['status']} "
            f"{'video ' + str(c['video']) + ', ' + str(c['frame_count']) + ' frames' if c['video'] else c['detail']}\n"
            f"  web process RSS: before {rss['before']} MB, peak sending {rss['peak_sending']} MB, peak completing "
            f"{rss['peak_completing']} MB, kernel peak {rss['peak_kernel']} MB -> peak growth "
            f"+{rss['peak_growth']} MB; after {rss['after']} MB")
