"""Smoke evaluation of the shipped model on a few real Kvasir-SEG test images.

Needs ../shared/datasets beside the repository (CI has it); skips loudly without it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.inference.factories import run_cli

DATASETS = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets"
KVASIR = DATASETS / "kvasir-seg"


def test_the_shipped_model_segments_real_kvasir_test_images() -> None:
    if not (KVASIR / "images").is_dir():
        pytest.skip(
            f"REAL-DATA SMOKE TEST NOT RUN: {KVASIR.resolve()} is missing. CI must provide "
            "../shared/datasets/kvasir-seg beside the checkout; without it the shipped model "
            "is untested on real images."
        )
    proc = run_cli("evaluate", "--data", KVASIR, "--split", "test", "--limit", "4", "--json", "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["n"] == 4
    for key in ("iou", "dice", "se", "sp"):
        assert 0.0 <= result[key] <= 1.0, key
    assert result["fps"] > 0
    assert result["input_size"] == 448
    # The shipped model scores ~0.88 validation Dice; 0.5 on four images catches a broken pipeline.
    assert result["dice"] > 0.5
