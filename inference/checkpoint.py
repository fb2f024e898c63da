"""Checkpoints: weights plus everything needed to rebuild and trace them.

A checkpoint is a torch.save'd dict:
    format        "polypscope-checkpoint/1"
    version       human-readable model version (e.g. "scrnet-kvasir-448px-2026.11.25")
    model_config  ModelConfig.to_dict(); the network is rebuilt from it
    train_config  the FitConfig of the run (absent for hand-made checkpoints)
    parent_sha256 the checkpoint a fine-tuning run started from (fit(init_from=...)), when there was one
    input_size    side in pixels the model was trained at (the engine resizes to it)
    split_hash    sha256 of the split file the run used
    metrics       validation / test numbers at save time
    state_dict    weights
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import torch
from torch import nn

from inference.errors import CheckpointError
from inference.models import ModelConfig, build_model

FORMAT = "polypscope-checkpoint/1"
DEFAULT_CHECKPOINT = Path(__file__).parent / "weights" / "scrnet-kvasir.pt"


def file_sha256(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_checkpoint(path: Path, model: nn.Module, meta: dict[str, Any]) -> None:
    """Write atomically (temp file, then rename) so a crash never leaves half a file."""
    config: ModelConfig = model.config  # type: ignore[assignment]
    payload = {
        "format": FORMAT,
        **meta,
        "model_config": config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def read_checkpoint(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    try:
        data = torch.load(io.BytesIO(path.read_bytes()), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise CheckpointError(f"{path}: not a readable checkpoint ({type(exc).__name__}: {exc})".rstrip()) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a Polypscope checkpoint (expected format {FORMAT!r})")
    return data


def load_checkpoint(path: Path | str) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the network from the checkpoint's config and load its weights (eval mode, CPU)."""
    data = read_checkpoint(path)
    try:
        config = ModelConfig.from_dict(data["model_config"])
        model = build_model(config)
        model.load_state_dict(data["state_dict"], strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: weights do not fit the architecture it names ({first})") from exc
    meta = {k: v for k, v in data.items() if k != "state_dict"}
    meta["sha256"] = file_sha256(path)
    meta["path"] = str(path)
    return model.eval(), meta


def default_checkpoint() -> Path:
    """The model shipped in the package, or a clear error while none is shipped."""
    if not DEFAULT_CHECKPOINT.is_file():
        raise CheckpointError(
            f"no default model is shipped yet ({DEFAULT_CHECKPOINT} is missing); "
            "train one with `python -m inference train` and pass --checkpoint"
        )
    return DEFAULT_CHECKPOINT
