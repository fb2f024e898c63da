"""Writes on model versions."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from inference.checkpoint import default_checkpoint, file_sha256, read_checkpoint
from webapp.mlops.models import ModelVersion


@transaction.atomic
def model_version_register(*, checkpoint_path: Path | str, activate: bool = False) -> ModelVersion:
    """Register a checkpoint (idempotent by file hash); activate it when asked."""
    path = Path(checkpoint_path).resolve()
    data = read_checkpoint(path)  # raises CheckpointError for anything that is not a Polypscope checkpoint
    sha = file_sha256(path)
    version, _ = ModelVersion.objects.get_or_create(
        sha256=sha,
        defaults={
            "version": str(data.get("version", "unversioned")),
            "checkpoint_path": str(path),
            "config": {k: data[k] for k in ("model_config", "train_config", "input_size", "split_hash") if k in data},
            "metrics": data.get("metrics") or {},
        },
    )
    if activate and not version.is_active:
        ModelVersion.objects.select_for_update().filter(is_active=True).update(is_active=False)
        version.is_active = True
        version.save(update_fields=["is_active"])
    return version


def model_version_ensure_active() -> ModelVersion:
    """The active version; on first use, register and activate the configured (else shipped) checkpoint."""
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is not None:
        return active
    path = settings.INFERENCE_CHECKPOINT or default_checkpoint()
    try:
        return model_version_register(checkpoint_path=path, activate=True)
    except IntegrityError:  # another process activated one at the same moment
        return ModelVersion.objects.get(is_active=True)
