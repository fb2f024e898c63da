"""Shared fixtures: a small fast checkpoint and a synthetic dataset, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from inference.checkpoint import save_checkpoint
from inference.data import make_split, write_split
from inference.models import build_model
from tests.inference.factories import write_dataset

SMALL_INPUT = 64  # engine input side of the small checkpoint: fast on CPU, a multiple of 16


@pytest.fixture(scope="session")
def small_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SCR-Net with random (seeded) weights that runs at 64 x 64: for speed, not accuracy."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "small-scrnet.pt"
    save_checkpoint(path, build_model("scrnet"), {"version": "test-scrnet-64", "input_size": SMALL_INPUT})
    return path


@pytest.fixture(scope="session")
def synthetic_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """24 images of 48 x 48 with masks, and its own 70/10/20 split file: (root, split_file)."""
    root = tmp_path_factory.mktemp("synth") / "dataset"
    ids = write_dataset(root, 24, size=(48, 48))
    split_file = root.parent / "split.json"
    write_split(split_file, make_split(ids, seed=7))
    return root, split_file
