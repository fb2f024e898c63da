"""Training: the learning-rate schedule, a tiny run end to end, and resuming a stopped run."""

from __future__ import annotations

import json
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest

from inference.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from inference.data import split_hash
from inference.errors import DatasetError
from inference.models import build_model
from inference.train import TrainConfig, lr_at, train


def _config(dataset: tuple[Path, Path], out: Path, **overrides) -> TrainConfig:
    root, split_file = dataset
    base = TrainConfig(
        data=str(root),
        out=str(out),
        split_file=str(split_file),
        size=32,
        epochs=2,
        batch_size=8,
        device="cpu",
        amp=False,
        seed=0,
    )
    return replace(base, **overrides)


def test_lr_warms_up_from_lr_min_to_lr_then_decays_to_zero() -> None:
    cfg = TrainConfig(data="", out="", lr=1e-3, lr_min=1e-5, power=0.9)
    total, warmup = 1000, 100
    assert lr_at(0, total, warmup, cfg) == pytest.approx(1e-5)
    assert lr_at(warmup, total, warmup, cfg) == pytest.approx(1e-3)
    # Halfway through warmup: 1e-5 + (1e-3 - 1e-5) * 0.5 ** 0.9
    assert lr_at(50, total, warmup, cfg) == pytest.approx(1e-5 + 0.99e-3 * 0.5**0.9)
    warm = [lr_at(s, total, warmup, cfg) for s in range(warmup + 1)]
    assert all(a < b for a, b in pairwise(warm))
    decay = [lr_at(s, total, warmup, cfg) for s in range(warmup, total + 1)]
    assert all(a >= b for a, b in pairwise(decay))
    assert decay[-1] == pytest.approx(0.0, abs=1e-12)
    assert lr_at(total - 1, total, warmup, cfg) < 1e-5
    # Poly decay (paper): lr * (1 - t / (total - warmup)) ** 0.9, here at t = 450 of 900.
    assert lr_at(550, total, warmup, cfg) == pytest.approx(1e-3 * 0.5**0.9)


@pytest.fixture(scope="module")
def finished_run(synthetic_dataset: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("run") / "out"
    cfg = _config(synthetic_dataset, out)
    return cfg, out, train(cfg, progress=False)


def test_a_tiny_run_writes_best_last_history_and_curves(finished_run) -> None:
    cfg, out, summary = finished_run
    assert summary["finished"] is True
    assert summary["epochs_done"] == 2
    assert summary["device"] == "cpu"
    assert 0.0 <= summary["best_val_dice"] <= 1.0
    for name in ("best.pt", "last.pt", "history.json", "curves.png"):
        assert (out / name).is_file(), name
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    history = json.loads((out / "history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2]
    for row in history:
        assert row["loss"] > 0 and 0.0 <= row["val_dice"] <= 1.0 and row["lr"] > 0
    assert summary["best_val_dice"] == pytest.approx(max(row["val_dice"] for row in history))


def test_the_best_checkpoint_loads_and_records_its_split_and_config(finished_run) -> None:
    cfg, out, summary = finished_run
    model, meta = load_checkpoint(out / "best.pt")
    assert meta["split_hash"] == split_hash(Path(cfg.split_file))
    assert meta["input_size"] == 32
    assert meta["train_config"]["batch_size"] == 8
    assert meta["metrics"]["val_dice"] == pytest.approx(summary["best_val_dice"])
    assert type(model).__name__ == "SCRNet"


def test_the_last_checkpoint_holds_what_resuming_needs(finished_run) -> None:
    _, out, _ = finished_run
    last = read_checkpoint(out / "last.pt")
    assert last["epoch"] == 2
    assert last["step"] == 2 * (17 // 8)  # 24 images -> 17 train (70%): 2 full batches of 8 per epoch
    for key in ("optimizer", "rng", "history", "best_val_dice", "train_seconds"):
        assert key in last


def test_a_run_stopped_by_its_time_budget_resumes_to_the_end(
    synthetic_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = train(_config(synthetic_dataset, out, time_budget_s=1e-9), progress=False)
    assert first["finished"] is False
    assert first["epochs_done"] == 1
    assert read_checkpoint(out / "last.pt")["epoch"] == 1
    second = train(_config(synthetic_dataset, out), resume=True, progress=False)
    assert second["finished"] is True
    assert second["epochs_done"] == 2
    history = json.loads((out / "history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2]
    assert read_checkpoint(out / "last.pt")["step"] == 4


def test_resuming_another_variants_run_is_refused(synthetic_dataset: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    save_checkpoint(out / "last.pt", build_model("scrnet"), {"train_config": {"variant": "scrnet"}})
    with pytest.raises(DatasetError, match="another variant"):
        train(_config(synthetic_dataset, out, epochs=2, variant="baseline"), resume=True, progress=False)


def test_training_with_fewer_images_than_a_batch_is_refused(
    synthetic_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    with pytest.raises(DatasetError, match="fewer than one batch"):
        train(_config(synthetic_dataset, tmp_path / "out", batch_size=64), progress=False)
