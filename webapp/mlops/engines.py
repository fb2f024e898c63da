"""Engines per model version: loaded lazily, once per process, and only after the file's hash is checked.

Hot reload: a worker asks for the engine of the version a video runs with (the active one when the video
starts); when that is a new version, the engines of every other version are dropped from memory, so a worker
picks up a promoted model from its next video on, with no restart, and holds one model at a time.

Warm workers (issue 13): a `gpu` worker (and `make run`'s embedded worker) loads the active version's engine as it
starts and runs one dummy batch through it (the first call of a model allocates its buffers and, on the fast path,
compiles it), in a thread of its own (EngineWarmer), so the worker answers and consumes meanwhile; a task that asks
for that engine meanwhile waits for the warm one instead of loading or compiling a second copy. While the worker is
idle the warmer looks at the active version every WORKER_WARM_POLL_S seconds and warms a newly promoted one, so the
first video after a promotion finds it warm too.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

from inference.checkpoint import file_sha256
from inference.engine import Engine, drop_cached_models
from inference.errors import CheckpointError
from webapp.mlops.models import ModelVersion

log = logging.getLogger(__name__)

_ENGINES: dict[tuple[str, str, bool, int], Engine] = {}
_WARM: set[tuple[str, str, bool, int]] = set()  # keys of the engines that ran their dummy batch
# Reentrant: engine_warm holds it around engine_for and the dummy batch, so engine_for in another thread (a task)
# waits for the warm engine rather than running a second first call beside it (a second compile on the fast path).
_LOCK = threading.RLock()
# Dummy passes per shape. Two: a model whose first call changes state its compiled graph is guarded on compiles again on
# its second call, which one pass would leave to the video's first batch. SCR-Net did (its fusion blocks filled a dict
# of sampling grids on the first call; with TORCH_LOGS=recompiles: 37 s, then 31 s, then 6 ms for the 32-pixel test
# model on 2 CPU cores) until the grid was built in the graph (aa87f10); the second pass now costs one frame's time.
WARM_PASSES = 2


def checkpoint_file(model_version: ModelVersion) -> Path:
    """A local file holding the version's checkpoint, its sha256 checked.

    Registered checkpoints have a path on this machine; fine-tuned ones live in the media storage (S3 in
    production) and are fetched once into CHECKPOINT_CACHE_DIR, named by their hash.
    """
    if model_version.checkpoint_path:
        path = Path(model_version.checkpoint_path)
    else:
        path = Path(settings.CHECKPOINT_CACHE_DIR) / f"{model_version.sha256}.pt"
        if not path.is_file():
            if not model_version.storage_name:
                raise CheckpointError(f"model version {model_version.version} has no checkpoint file")
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            with default_storage.open(model_version.storage_name, "rb") as src, tmp.open("wb") as out:
                while chunk := src.read(1024 * 1024):
                    out.write(chunk)
            tmp.replace(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file of model version {model_version.version} not found")
    # A replaced file under the same name must not silently produce masks credited to this version.
    if file_sha256(path) != model_version.sha256:
        raise CheckpointError(
            f"the checkpoint of model version {model_version.version} changed since it was registered "
            "(sha256 differs)"
        )
    return path


def _key(model_version: ModelVersion) -> tuple[str, str, bool, int]:
    return (model_version.sha256, settings.INFERENCE_DEVICE, settings.INFERENCE_FAST, settings.INFERENCE_BATCH)


def engine_for(model_version: ModelVersion) -> Engine:
    """The engine of a model version (cached by checkpoint hash, device, fast path and batch)."""
    key = _key(model_version)
    with _LOCK:
        if key not in _ENGINES:
            path = checkpoint_file(model_version)
            stale = [k for k in _ENGINES if k[0] != model_version.sha256]
            for k in stale:
                del _ENGINES[k]
                _WARM.discard(k)
            if stale:
                dropped = drop_cached_models(keep=[path])
                log.info("switched to model %s; dropped %d engine(s) of other versions", model_version, dropped)
            began = time.monotonic()
            _ENGINES[key] = Engine.from_checkpoint(
                path, device=settings.INFERENCE_DEVICE, batch=settings.INFERENCE_BATCH, fast=settings.INFERENCE_FAST,
                cache_dir=settings.COMPILED_CACHE_DIR,  # the fast path's prepared model, kept between starts
            )
            log.info("loaded the engine of model %s (sha256 %s) in %.2f s", model_version.version,
                     model_version.sha256[:12], time.monotonic() - began)
        return _ENGINES[key]


def warm_batch_sizes(engine: Engine) -> list[int]:
    """The batch sizes a dummy run goes through: the shapes the model will see. On the CPU the model runs one frame
    at a time whatever the batch (Engine.model_batch), so one frame is enough. On CUDA a batch goes in whole: the
    engine's batch, the shape of every batch but a range's last (the pipeline ramps 1, 2, 4, ... only on engines
    that run one frame at a time: webapp/videos/pipeline.py STREAM_FRAME_S)."""
    return [1] if engine.model_batch <= 1 else [engine.batch]


def engine_warm(model_version: ModelVersion) -> tuple[Engine, float]:
    """The version's engine after WARM_PASSES dummy batches of each shape it will run (warm_batch_sizes): the first
    call of a model allocates its buffers (about 1 s on 2 CPU cores, eager) and compiles it on the fast path (about a
    minute there). Returns the engine and the seconds this call spent (0.0 when it was warm already)."""
    key = _key(model_version)
    with _LOCK:
        began = time.monotonic()
        engine = engine_for(model_version)
        if key not in _WARM:
            frame = np.zeros((engine.size, engine.size, 3), np.uint8)  # the model's own size: no resize to speak of
            for n in warm_batch_sizes(engine):
                for _ in range(WARM_PASSES):
                    engine.predict_batch([frame] * n)
            _WARM.add(key)
            spent = time.monotonic() - began
            log.info("engine of model %s (sha256 %s) warm in %.2f s (device %s, fast path %s, batch %s)",
                     model_version.version, model_version.sha256[:12], spent, engine.device, engine.fast, engine.batch)
            return engine, spent
        return engine, 0.0


def loaded_versions() -> set[str]:
    """sha256 of the versions whose engines this process holds (for tests and metrics)."""
    with _LOCK:
        return {k[0] for k in _ENGINES}


def warm_versions() -> set[str]:
    """sha256 of the versions whose engines this process holds warm (engine_warm ran)."""
    with _LOCK:
        return {k[0] for k in _WARM}


class EngineWarmer:
    """Keeps the active version's engine warm in a worker process, from a daemon thread: warms it at once, then, every
    poll_s seconds while no task runs here (busy() says so), warms the active version again when it changed (a
    promotion). poll_s 0: only at start. One per process (start_engine_warmer)."""

    def __init__(self, poll_s: float, busy=lambda: False) -> None:
        self.poll_s = poll_s
        self.busy = busy
        self.ready = threading.Event()  # set once the first warm-up ended (warm, or failed: see `error`)
        self.error: str | None = None
        self.started_at = time.monotonic()
        self.ready_s: float | None = None  # seconds from start() to ready
        self._stop = threading.Event()
        self._failed: set[str] = set()  # sha256 of versions that failed to load: logged once, not retried
        self._thread = threading.Thread(target=self._run, name="engine-warmer", daemon=True)

    def start(self) -> EngineWarmer:
        self.started_at = time.monotonic()
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 0.0) -> bool:
        """Ask the thread to end; True when it has ended within timeout_s (a warm-up in progress runs to its end)."""
        self._stop.set()
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            self.warm_active()
            self.ready_s = time.monotonic() - self.started_at
            self.ready.set()
            while self.poll_s > 0 and not self._stop.wait(self.poll_s):
                if not self.busy():
                    self.warm_active()
        finally:
            self.ready.set()
            connection.close()  # this thread's own connection

    def warm_active(self) -> str | None:
        """Warm the active version's engine unless it is warm already; its sha256 (None when nothing was warmed)."""
        from webapp.mlops.services import model_version_ensure_active

        version = None
        try:
            version = model_version_ensure_active()  # as the first video would: registers the shipped model once
            if version.sha256 in self._failed or version.sha256 in warm_versions():
                return None
            engine_warm(version)
            self.error = None
            return version.sha256
        except CheckpointError as exc:
            self.error = str(exc)
            if version is not None:
                self._failed.add(version.sha256)
            log.error("could not warm the engine of model %s: %s (its first video will fail with this)", version, exc)
        except Exception as exc:  # noqa: BLE001 - the database away, an unmigrated one: the next poll tries again
            self.error = f"{type(exc).__name__}: {exc}"
            log.warning("could not warm the active model's engine (%s); trying again in %s s", self.error, self.poll_s)
        finally:
            connection.close()  # between polls no connection is held (PostgreSQL's max_connections)
        return None


_WARMER: EngineWarmer | None = None
_WARMER_LOCK = threading.Lock()


def start_engine_warmer(busy=lambda: False) -> EngineWarmer | None:
    """Start this process's EngineWarmer (WORKER_WARM on; once per process; later calls return the same one)."""
    global _WARMER
    if not settings.WORKER_WARM:
        return None
    with _WARMER_LOCK:
        if _WARMER is None:
            _WARMER = EngineWarmer(settings.WORKER_WARM_POLL_S, busy=busy).start()
            log.info("warming the active model's engine in the background")
        return _WARMER


def engine_warmer() -> EngineWarmer | None:
    """This process's EngineWarmer, None when none was started."""
    return _WARMER
