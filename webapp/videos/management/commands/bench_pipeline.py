"""Engine frame rate vs end-to-end pipeline frame rate on the same video and machine, and the pipeline's own ceiling.

    python manage.py bench_pipeline --engine stub [--video FILE] [--json] [--store copy|insert]
    python manage.py bench_pipeline --engine model [--video FILE] [--json]
    python manage.py bench_pipeline [--video FILE] [--via-queue] [--range-frames N] [--pipeline-only] [--timeout S]
    python manage.py bench_pipeline --storage-only [--video FILE] [--repeats N] [--engine-ms MS]

--engine stub|model runs the worker's own code for one range in this process (upload service, plan, claim, then
pipeline._run_frames: decode in the prefetch thread, the engine, the writer thread's RLE, COPY into PostgreSQL,
progress, events, the websocket broadcast through Redis, the range's completion), with every stage timed
(webapp/videos/stages.py: wall and CPU time of the thread that ran it, ms per frame). With `stub` the model is
replaced by one that costs nothing (management/commands/_stub_engine.py): the rate is the pipeline's ceiling,
`ceiling_fps`. With `model` the active model version's engine runs: `engine_fps` (the frames over the engine
thread's time) and `pipeline_fps` (over the whole run) come from the same run. The stages overlap: decode, engine
and writer are three threads, so the rate is set by the slowest thread (or by the two cores, when the threads'
CPU adds up to more). --decode also times decoding alone (OpenCV, and torchcodec where it is installed).

The pipeline rate is the real path: upload service (probe, checksum, store), then the Celery task's
code (decode, engine batches, RLE, bulk writes to PostgreSQL, progress to Redis, events). Without
--via-queue the task body runs in this process; with it, the task goes through the broker to a running
`celery -A webapp worker -Q gpu` and this command waits for the video to finish. The engine rate is
the same engine over the same frames, already decoded in memory, with nothing stored (mean of a run
before and a run after the pipeline).

--range-frames N plans the video in ranges of at most N frames (default VIDEO_RANGE_FRAMES; a number at least the
video's length: one range). With --via-queue the ranges go to the running `gpu` workers, several at once: start two
workers to see what splitting a video gains (the pipeline rate is the video's frames over the time from its start to
done, every worker together). Without it the ranges run one after another in this process. --pipeline-only skips
the engine's runs (on a CPU they take as long as the pipeline, twice).

--storage-only times what the processing's writer thread does per frame, alone: RLE-encode the masks, one
bulk INSERT per batch, the progress UPDATE (and the events and progress message every 0.5 s), with the
real model outputs of the clip (computed once beforehand, not timed), repeated --repeats times. The writes
overlap the engine, so the pipeline keeps pace with an engine as long as storing a frame takes less time
than computing one: the headroom printed is the engine's time per frame (--engine-ms, by default an
H100's) over the storage's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from inference.io import probe
from inference.synthetic import write_sample_video
from webapp import media
from webapp.accounts.models import Role, User
from webapp.leases import new_token
from webapp.mlops.engines import engine_for
from webapp.mlops.services import model_version_ensure_active
from webapp.studies.services import study_create
from webapp.videos import pipeline, ranges
from webapp.videos.leases import range_claim
from webapp.videos.management.commands._stub_engine import StubEngine
from webapp.videos.models import FrameResult, PolypEvent, Video, VideoRange, VideoStatus
from webapp.videos.pipeline import StoredRun, range_complete, video_plan, video_process
from webapp.videos.services import video_upload
from webapp.videos.stages import StageClock
from webapp.videos.tasks import process_video

DEFAULT_VIDEO = settings.BASE_DIR.parent / "shared" / "datasets" / "videos" / "colondb_all_25fps_hold5.mp4"
BENCH_USER = "bench"
# SCR-Net's engine on an H100 (fast path, batch 16): 0.3 ms a frame, the measurement. The rate the
# writes must keep up with on the GPU machines.
H100_ENGINE_MS = 0.3


class Command(BaseCommand):
    help = "Print the engine's frame rate and the whole pipeline's frame rate on one video."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--video", type=Path, default=None, help=f"default: {DEFAULT_VIDEO} or a synthetic one")
        parser.add_argument("--via-queue", action="store_true", help="send the task to a running worker")
        parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for a worker")
        parser.add_argument("--range-frames", type=int, default=None,
                            help="frames per range (default VIDEO_RANGE_FRAMES); with --via-queue the running workers "
                                 "process the ranges at once")
        parser.add_argument("--pipeline-only", action="store_true",
                            help="time the pipeline alone, without the engine's runs before and after it")
        parser.add_argument("--storage-only", action="store_true",
                            help="time only the writes per frame (RLE, INSERT, progress) with the clip's model outputs")
        parser.add_argument("--repeats", type=int, default=5, help="--storage-only: times the clip is stored")
        parser.add_argument("--engine-ms", type=float, default=H100_ENGINE_MS,
                            help=f"--storage-only: engine time per frame to compare with (default {H100_ENGINE_MS}, "
                                 "an H100)")
        parser.add_argument("--engine", choices=["stub", "model"], default=None,
                            help="one range through the worker's code in this process, every stage timed: stub (a "
                                 "model that costs nothing: the pipeline's ceiling) or model (the active version)")
        parser.add_argument("--json", action="store_true", help="--engine: print one JSON object")
        parser.add_argument("--store", choices=["copy", "insert"], default="copy",
                            help="how batches are written: COPY through a staging table (default) or bulk_create")
        parser.add_argument("--decode", action="store_true", help="--engine: also time decoding alone")
        parser.add_argument("--device-work", choices=["cpu", "free"], default="cpu",
                            help="--engine stub: the accelerator's share of the work (resize, post-processing on the "
                                 "device) run here on the CPU (default), or free as well: the ceiling of a GPU "
                                 "worker's host")

    def handle(self, *args, video: Path | None, via_queue: bool, timeout: float, storage_only: bool,
               repeats: int, engine_ms: float, range_frames: int | None, pipeline_only: bool,
               engine: str | None = None, store: str = "copy", decode: bool = False, device_work: str = "cpu",
               **options) -> None:
        if range_frames is not None and range_frames < 1:
            raise CommandError("--range-frames must be positive")
        method, pipeline.STORE_METHOD = pipeline.STORE_METHOD, store
        try:
            self._run(video, via_queue, timeout, storage_only, repeats, engine_ms, range_frames, pipeline_only, engine,
                      decode, bool(options.get("json")), device_work)
        finally:
            pipeline.STORE_METHOD = method

    def _run(self, video: Path | None, via_queue: bool, timeout: float, storage_only: bool, repeats: int,
             engine_ms: float, range_frames: int | None, pipeline_only: bool, engine: str | None, decode: bool,
             as_json: bool, device_work: str = "cpu") -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = video or (DEFAULT_VIDEO if DEFAULT_VIDEO.is_file() else None)
            if path is None:
                path = write_sample_video(Path(tmp) / "synthetic.mp4", frames=250, size=(384, 288), fps=25.0)
            if not Path(path).is_file():
                raise CommandError(f"{path}: file not found")
            if engine is not None:
                report = self._staged(Path(path), engine, decode, device_work)
                report["store"] = pipeline.STORE_METHOD
                self._print_staged(report, as_json)
                return
            if storage_only:
                if repeats < 1 or engine_ms <= 0:
                    raise CommandError("--repeats and --engine-ms must be positive")
                self._storage(Path(path), repeats, engine_ms)
                return
            # The engine is timed before and after the pipeline and the mean is reported, so that a
            # machine busy with other work during one of the runs skews the comparison less.
            before, frames = (0.0, None) if pipeline_only else self._engine_fps(Path(path))
            pipeline_fps, video = self._pipeline_fps(Path(path), via_queue, timeout, range_frames)
            after, _ = (0.0, None) if pipeline_only else self._engine_fps(Path(path))
            engine_fps = (before + after) / 2
        frames = frames or video.frame_count
        ratio = pipeline_fps / engine_fps if engine_fps else 0.0
        parts = list(VideoRange.objects.filter(video=video).order_by("start"))
        wall = (video.finished_at - video.started_at).total_seconds()
        self.stdout.write(f"video: {path} ({frames} frames; stored as video {video.pk})")
        self.stdout.write(f"ranges:   {len(parts)}, "
                          f"{'sent to the running workers' if via_queue else 'one after another in this process'}")
        for p in parts:  # lease_holder: the worker that held it last
            took = (p.finished_at - p.started_at).total_seconds()
            self.stdout.write(f"          frames {p.start}-{p.end - 1} on {p.lease_holder}: {took:.1f} s from its "
                              f"first claim, {p.processing_fps or 0:.1f} frames/s")
        self.stdout.write(f"wall:     {wall:8.1f} s from the start of processing to done")
        if pipeline_only:
            self.stdout.write(f"pipeline: {pipeline_fps:8.1f} frames/s (upload excluded; decode, engine, RLE, "
                              "PostgreSQL, Redis progress, events)")
            return
        self.stdout.write(f"engine:   {engine_fps:8.1f} frames/s (decoded frames in memory, nothing stored; "
                          f"{before:.1f} before and {after:.1f} after the pipeline)")
        self.stdout.write(f"pipeline: {pipeline_fps:8.1f} frames/s (upload excluded; decode, engine, RLE, "
                          "PostgreSQL, Redis progress, events)")
        self.stdout.write(f"ratio:    {ratio:8.1%} of the engine rate")

    def _staged(self, path: Path, kind: str, decode: bool, device_work: str = "cpu") -> dict:
        """One range of the whole video through pipeline._run_frames in this process, every stage timed."""
        model_version = model_version_ensure_active()
        clock = StageClock()
        if kind == "stub":
            engine = StubEngine(batch=settings.INFERENCE_BATCH, clock=clock, device_work=device_work)
        else:
            engine = _TimedEngine(engine_for(model_version), clock)
            engine.warm_up(next(iter(probe(path).frames())))
        video = self._upload(path, enqueue=False)
        (range_id,) = video_plan(video_id=video.pk, range_frames=video.frame_count)  # one range, as a short clip
        token = new_token()
        part = range_claim(range_id=range_id, token=token)
        cpu, postgres = _process_cpu_s(), _postgres_cpu_s()
        began = time.perf_counter()
        with media.local_copy(video.file.name) as local:
            stored = pipeline._run_frames(part, engine, local, token, None, clock)
        wall = time.perf_counter() - began
        cpu, postgres = _process_cpu_s() - cpu, _postgres_cpu_s() - postgres
        video.refresh_from_db()
        if video.status != VideoStatus.DONE:
            raise CommandError(f"video {video.pk} ended {video.status}: {video.error}")
        frames = stored.processed
        stages = clock.per_frame_ms(frames)
        host = [name for name in ("rle", "lock", "insert", "progress", "events", "broadcast") if name in stages]
        report = {
            "video": str(path), "width": video.width, "height": video.height, "frames": frames,
            "engine": kind, "batch": engine.batch, "video_id": video.pk,
            "device_work": device_work if kind == "stub" else str(getattr(engine.engine, "device", "")),
            "events": PolypEvent.objects.filter(video=video).count(),
            "wall_s": round(wall, 3),
            "stages_ms_per_frame": stages,
            "writer_cpu_ms_per_frame": round(sum(stages[n]["cpu_ms"] for n in host), 4),
            "process_cpu_ms_per_frame": round(cpu / frames * 1000, 4),
            "postgres_cpu_ms_per_frame": round(postgres / frames * 1000, 4) if postgres is not None else None,
            "loadavg": os.getloadavg()[0],
            "overlap": "decode (prefetch thread), engine (this thread: preprocess, model, postprocess) and writer "
                       "(rle, lock, insert, progress, events, broadcast) run at once; the slowest thread, or the "
                       "cores when their CPU adds up to more, sets the rate",
        }
        rate = frames / wall
        if kind == "stub":
            report["ceiling_fps"] = round(rate, 1)
        else:
            report["pipeline_fps"] = round(rate, 1)
            report["engine_fps"] = round(frames / clock.stages["engine"].wall_s, 1)
        if decode:
            report["decode_alone"] = alone = _decode_alone(path)
            # OpenCV decodes in FFmpeg's own threads too, which the decode stage's thread CPU does not see: what
            # decoding alone costs the process stands for it.
            report["cpu_ms_per_frame_but_decode"] = round(
                report["process_cpu_ms_per_frame"] - alone["opencv"]["cpu_ms_per_frame"], 4)
        return report

    def _print_staged(self, report: dict, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(f"video: {report['video']} ({report['width']}x{report['height']}, {report['frames']} frames; "
                          f"stored as video {report['video_id']}, {report['events']} events)")
        for name, t in report["stages_ms_per_frame"].items():
            self.stdout.write(f"  {name:<11} {t['wall_ms']:8.4f} ms/frame wall {t['cpu_ms']:8.4f} ms/frame CPU "
                              f"({t['thread']})")
        self.stdout.write(f"writer CPU: {report['writer_cpu_ms_per_frame']:8.4f} ms/frame; process CPU "
                          f"{report['process_cpu_ms_per_frame']:.4f} ms/frame; PostgreSQL CPU "
                          f"{report['postgres_cpu_ms_per_frame']} ms/frame")
        if "ceiling_fps" in report:
            self.stdout.write(f"ceiling:  {report['ceiling_fps']:8.1f} frames/s (a model that costs nothing)")
        else:
            engine, pipeline_fps = report["engine_fps"], report["pipeline_fps"]
            self.stdout.write(f"engine:   {engine:8.1f} frames/s (the engine thread's time, same run)")
            self.stdout.write(f"pipeline: {pipeline_fps:8.1f} frames/s (decode to the range done)")
            self.stdout.write(f"ratio:    {pipeline_fps / engine:8.1%} of the engine rate")

    def _engine_fps(self, path: Path) -> tuple[float, int]:
        engine = engine_for(model_version_ensure_active())
        frames = list(probe(path).frames())
        engine.predict_batch(frames[: engine.batch])  # warm-up: allocation, compilation on the fast path
        began = time.perf_counter()
        for i in range(0, len(frames), engine.batch):
            engine.predict_batch(frames[i : i + engine.batch], i)
        return len(frames) / (time.perf_counter() - began), len(frames)

    def _pipeline_fps(self, path: Path, via_queue: bool, timeout: float,
                      range_frames: int | None) -> tuple[float, Video]:
        video = self._upload(path, enqueue=False)
        if not via_queue:
            video_process(video_id=video.pk, range_frames=range_frames)  # the tasks' code, in this process
        else:
            process_video.delay(video.pk, range_frames=range_frames)
            deadline = time.monotonic() + timeout
            while Video.objects.filter(pk=video.pk, status__in=[VideoStatus.QUEUED, VideoStatus.PROCESSING]).exists():
                if time.monotonic() > deadline:
                    raise CommandError(f"video {video.pk} not finished after {timeout:.0f} s: is a worker running?")
                time.sleep(0.5)
        video.refresh_from_db()
        if video.status != VideoStatus.DONE:
            raise CommandError(f"video {video.pk} ended {video.status}: {video.error}")
        return float(video.processing_fps or 0.0), video

    def _storage(self, path: Path, repeats: int, engine_ms: float) -> None:
        model_version = model_version_ensure_active()
        engine = engine_for(model_version)
        frames = list(probe(path).frames())
        # What the pipeline's writer receives: the masks as run lengths (Engine.predict_runs).
        batches = [engine.predict_runs(frames[i : i + engine.batch], i) for i in range(0, len(frames), engine.batch)]
        del frames
        video = self._upload(path, enqueue=False)
        (range_id,) = video_plan(video_id=video.pk, range_frames=video.frame_count)  # one range, as a short clip
        token = new_token()
        part = range_claim(range_id=range_id, token=token)
        elapsed = 0.0
        for _ in range(repeats):
            FrameResult.objects.filter(video=video).delete()  # not timed: each repeat inserts the clip anew
            for r in (r for b in batches for r in b):
                r.rle = ""  # each repeat packs the RLE strings anew
            run = StoredRun(part=part, scores=[], began=time.monotonic(), token=token, live_events=True)
            began = time.perf_counter()
            for results in batches:
                if not run.write(results):
                    raise CommandError(f"video {video.pk} stopped processing during the benchmark")
            elapsed += time.perf_counter() - began
        count = sum(len(b) for b in batches)
        range_complete(part=part, token=token, rate=0.0)
        ms = elapsed / (count * repeats) * 1000
        self.stdout.write(f"video: {path} ({count} frames x {repeats}; stored as video {video.pk}, "
                          f"batches of {engine.batch})")
        self.stdout.write(f"storage:  {ms:8.3f} ms/frame = {1000 / ms:8.1f} frames/s (RLE, INSERT, the range's and the "
                          "video's progress, events and progress every 0.5 s; the writer thread's work, alone)")
        self.stdout.write(f"headroom: {engine_ms / ms:8.2f}x an engine at {engine_ms} ms/frame "
                          f"({1000 / engine_ms:.0f} frames/s); below 1, the writes limit the pipeline")

    def _upload(self, path: Path, enqueue: bool) -> Video:
        user = User.objects.filter(username=BENCH_USER).first()
        if user is None:
            user = User.objects.create(username=BENCH_USER, role=Role.GASTROENTEROLOGIST)
            user.set_unusable_password()
            user.save(update_fields=["password"])
        study = study_create(owner=user, patient_pseudo_id="BENCH", date=dt.date.today(), indication="benchmark")
        return video_upload(study=study, upload=SimpleUploadedFile(path.name, path.read_bytes()), user=user,
                            enqueue=enqueue)


class _TimedEngine:
    """The real engine with its parts timed on a clock (bench_pipeline --engine model): what Engine.predict_runs does,
    step by step."""

    def __init__(self, engine, clock: StageClock) -> None:
        self.engine, self.clock = engine, clock
        self.batch, self.model_batch = engine.batch, engine.model_batch

    def warm_up(self, frame) -> None:
        self.engine.predict_runs([frame] * self.batch)  # allocation; compilation on the fast path

    def predict_runs(self, frames: list, start_index: int = 0) -> list:
        import torch

        from inference import postprocess

        engine, clock = self.engine, self.clock
        height, width = frames[0].shape[:2]
        with torch.inference_mode():
            with clock.stage("preprocess"):
                x = engine.preprocess(frames)
            with clock.stage("model"):
                logits = engine.forward(x)
                if logits.device.type == "cuda":
                    torch.cuda.synchronize()
            with clock.stage("postprocess"):
                return postprocess.frame_runs(postprocess.probabilities(logits), height, width, engine.threshold,
                                              start_index)


def _process_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _postgres_cpu_s() -> float | None:
    """CPU seconds of every PostgreSQL process on this machine, with those of the backends that ended (the
    postmaster's reaped children: the writer's connection closes with the run). The server is local in development;
    other sessions' queries count too: run it on a quiet machine. None where /proc or the server cannot be read."""
    total, found = 0.0, False
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)
            if "postgres" not in fields[0]:
                continue
            parts = fields[1].split()
            total += sum(int(v) for v in parts[11:15]) / tick  # utime, stime, cutime, cstime
            found = True
        except (OSError, IndexError, ValueError):
            continue
    return total if found else None


def _decode_alone(path: Path) -> dict:
    """Decoding the whole file with nothing else running in this process: OpenCV as the pipeline does it
    (ranges.read_frames), and torchcodec's CPU decoder where it is installed."""
    out: dict = {}
    cpu, began, n = _process_cpu_s(), time.perf_counter(), 0
    for _ in ranges.read_frames(path, 0):
        n += 1
    wall = time.perf_counter() - began
    out["opencv"] = {"fps": round(n / wall, 1), "cpu_ms_per_frame": round((_process_cpu_s() - cpu) / n * 1000, 4)}
    try:
        from torchcodec.decoders import VideoDecoder  # optional: not a dependency of the project
    except Exception as exc:  # noqa: BLE001 - any failure to load it (missing FFmpeg or CUDA libraries) is reported
        out["torchcodec"] = f"not available: {type(exc).__name__}: {str(exc)[:200]}"
        return out
    decoder = VideoDecoder(str(path), device="cpu", dimension_order="NHWC")
    cpu, began, n = _process_cpu_s(), time.perf_counter(), 0
    for _ in decoder:
        n += 1
    wall = time.perf_counter() - began
    out["torchcodec"] = {"fps": round(n / wall, 1), "cpu_ms_per_frame": round((_process_cpu_s() - cpu) / n * 1000, 4)}
    return out
