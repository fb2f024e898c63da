from __future__ import annotations

from pathlib import Path

from inference.checkpoint import save_checkpoint
from inference.models import build_model


def write_tiny_checkpoint(path: Path, version: str = "test-tiny") -> Path:
    """Random-weight SCR-Net at a 32-pixel input: the real engine path, at a cost of milliseconds a frame."""
    import torch

    torch.manual_seed(0)
    save_checkpoint(path, build_model("scrnet"), {"version": version, "input_size": 32})
    return path
