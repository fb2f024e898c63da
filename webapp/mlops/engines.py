"""Engines per model version: loaded lazily, once per process, and only after the file's hash is checked."""

from __future__ import annotations

import threading

from django.conf import settings

from inference.checkpoint import file_sha256
from inference.engine import Engine
from inference.errors import CheckpointError
from webapp.mlops.models import ModelVersion

_ENGINES: dict[tuple[str, str, bool, int], Engine] = {}
_LOCK = threading.Lock()


def engine_for(model_version: ModelVersion) -> Engine:
    """The engine of a model version (cached by checkpoint hash, device, fast path and batch)."""
    key = (model_version.sha256, settings.INFERENCE_DEVICE, settings.INFERENCE_FAST, settings.INFERENCE_BATCH)
    with _LOCK:
        if key not in _ENGINES:
            # A replaced file under the same path must not silently produce masks credited to this version.
            if file_sha256(model_version.checkpoint_path) != model_version.sha256:
                raise CheckpointError(
                    f"{model_version.checkpoint_path}: file changed since model version {model_version.version} "
                    "was registered (sha256 differs)"
                )
            _ENGINES[key] = Engine.from_checkpoint(
                model_version.checkpoint_path,
                device=settings.INFERENCE_DEVICE,
                batch=settings.INFERENCE_BATCH,
                fast=settings.INFERENCE_FAST,
            )
        return _ENGINES[key]
