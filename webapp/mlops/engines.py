"""Engines per model version: loaded lazily, once per process, and only after the file's hash is checked.

Hot reload: a worker asks for the engine of the version a video runs with (the active one when the video
starts); when that is a new version, the engines of every other version are dropped from memory, so a worker
picks up a promoted model from its next video on, with no restart, and holds one model at a time.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

from inference.checkpoint import file_sha256
from inference.engine import Engine, drop_cached_models
from inference.errors import CheckpointError
from webapp.mlops.models import ModelVersion

log = logging.getLogger(__name__)

_ENGINES: dict[tuple[str, str, bool, int], Engine] = {}
_LOCK = threading.Lock()


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


def engine_for(model_version: ModelVersion) -> Engine:
    """The engine of a model version (cached by checkpoint hash, device, fast path and batch)."""
    key = (model_version.sha256, settings.INFERENCE_DEVICE, settings.INFERENCE_FAST, settings.INFERENCE_BATCH)
    with _LOCK:
        if key not in _ENGINES:
            path = checkpoint_file(model_version)
            stale = [k for k in _ENGINES if k[0] != model_version.sha256]
            for k in stale:
                del _ENGINES[k]
            if stale:
                dropped = drop_cached_models(keep=[path])
                log.info("switched to model %s; dropped %d engine(s) of other versions", model_version, dropped)
            _ENGINES[key] = Engine.from_checkpoint(
                path, device=settings.INFERENCE_DEVICE, batch=settings.INFERENCE_BATCH, fast=settings.INFERENCE_FAST,
            )
        return _ENGINES[key]


def loaded_versions() -> set[str]:
    """sha256 of the versions whose engines this process holds (for tests and metrics)."""
    with _LOCK:
        return {k[0] for k in _ENGINES}
