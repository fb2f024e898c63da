"""Training: the learning-rate schedule, the CLI's run end to end, resuming, and fit() on tensors."""

from __future__ import annotations

import json
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from inference.checkpoint import file_sha256, load_checkpoint, read_checkpoint, save_checkpoint
from inference.data import list_samples, load_tensors, read_mask, read_rgb, split_hash
from inference.errors import DatasetError
from inference.fit import EpochReport, FitConfig, arrays_to_tensors, epoch_order, fit, lr_at, replay_count
from inference.models import ModelConfig, build_model
from inference.train import TrainConfig, train
from tests.inference.factories import polyp_frame, write_dataset


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
    assert meta["version"] == f"scrnet-kvasir-32px-e{meta['epoch']}"  # names the best epoch
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


# fit(): the library call the web app's training worker makes, on tensors in memory.

TINY = ModelConfig(variant="baseline", widths=(4, 8, 8, 8, 8), decoder_widths=(8, 8, 4, 4))


def _fit_config(**overrides) -> FitConfig:
    base = FitConfig(size=32, epochs=2, batch_size=4, device="cpu", amp=False, seed=0)
    return replace(base, **overrides)


def _frames(n: int, seed: int = 0, shape: tuple[int, int] = (40, 48)) -> tuple[torch.Tensor, torch.Tensor]:
    """n polyp frames of `shape` (H, W) as fit() takes them at 32 px."""
    pairs = []
    for i in range(n):
        frame, mask = polyp_frame(*shape, center=(12 + 3 * i % 24, 14 + 2 * i % 12), seed=seed + i)
        pairs.append((cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), mask))
    return arrays_to_tensors(pairs, 32)


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return read_checkpoint(path)["state_dict"]


def test_arrays_are_resized_exactly_as_dataset_files_are(tmp_path: Path) -> None:
    write_dataset(tmp_path / "ds", 3, size=(40, 56))
    samples = list_samples(tmp_path / "ds")
    from_files = load_tensors(samples, 32)
    from_arrays = arrays_to_tensors([(read_rgb(s.image), read_mask(s.mask)) for s in samples], 32)
    assert from_arrays[0].shape == (3, 3, 32, 32) and from_arrays[0].dtype == torch.uint8
    assert from_arrays[1].shape == (3, 1, 32, 32) and set(from_arrays[1].unique().tolist()) == {0, 1}
    assert torch.equal(from_arrays[0], from_files[0]) and torch.equal(from_arrays[1], from_files[1])
    with pytest.raises(DatasetError, match="differs from its image"):
        arrays_to_tensors([(read_rgb(samples[0].image), np.zeros((3, 3), bool))], 32)


def test_fit_trains_from_scratch_on_arrays_and_writes_last_and_candidate(tmp_path: Path) -> None:
    cfg = _fit_config()
    result = fit(
        _frames(8), cfg, work_dir=tmp_path, version="v-test", val=_frames(2, seed=50), extra_meta={"run_id": 7}
    )
    assert (result.finished, result.stopped, result.epochs_done, result.device) == (True, False, 2, "cpu")
    assert [row["epoch"] for row in result.history] == [1, 2]
    for row in result.history:
        assert set(row) == {"epoch", "loss", "val_dice", "seconds", "lr"}
        assert row["loss"] > 0 and 0.0 <= row["val_dice"] <= 1.0
    model, meta = load_checkpoint(result.candidate_path)
    assert type(model).__name__ == "SCRNet"
    assert meta["version"] == "v-test" and meta["input_size"] == 32 and meta["run_id"] == 7
    assert meta["train_config"] == cfg.to_dict()
    assert meta["metrics"] == {"val_dice": result.history[-1]["val_dice"]}  # the last epoch, not the best
    assert "parent_sha256" not in meta
    last = read_checkpoint(result.last_path)
    assert last["epoch"] == 2 and last["step"] == 2 * (8 // 4)
    assert all(torch.equal(w, _weights(result.candidate_path)[k]) for k, w in last["state_dict"].items())


def test_fit_from_a_checkpoint_starts_from_its_weights_and_architecture(tmp_path: Path) -> None:
    torch.manual_seed(123)
    parent = tmp_path / "parent.pt"
    save_checkpoint(parent, build_model(TINY), {"version": "parent", "input_size": 64})
    # A learning rate of 1e-12 leaves the weights where they started, to within float rounding.
    cfg = _fit_config(epochs=1, lr=1e-12, lr_min=1e-12, weight_decay=0.0)
    result = fit(_frames(4), cfg, work_dir=tmp_path / "run", version="v-ft", init_from=parent)
    model, meta = load_checkpoint(result.candidate_path)
    assert meta["model_config"] == TINY.to_dict()  # not the default SCR-Net of cfg.variant
    assert meta["train_config"]["variant"] == "baseline"
    assert meta["parent_sha256"] == file_sha256(parent)
    torch.manual_seed(cfg.seed)  # what a fresh start of this run would have been initialised with
    fresh = build_model(TINY).state_dict()
    start, trained = _weights(parent), _weights(result.candidate_path)
    convs = [name for name, w in model.named_parameters() if w.ndim >= 2]  # BN starts at 1 and 0 in both
    assert convs
    for name in convs:
        assert torch.allclose(trained[name], start[name], atol=1e-8), name
        assert not torch.allclose(trained[name], fresh[name]), name


def test_a_run_stopped_after_epoch_one_resumes_to_the_same_weights_as_an_uninterrupted_one(tmp_path: Path) -> None:
    cfg, train_t, val_t = _fit_config(), _frames(8), _frames(2, seed=50)
    whole = fit(train_t, cfg, work_dir=tmp_path / "whole", version="v", val=val_t)

    reports: list[EpochReport] = []
    first = fit(
        train_t, cfg, work_dir=tmp_path / "split", version="v", val=val_t,
        on_epoch=reports.append, should_stop=lambda: len(reports) >= 1,
    )  # fmt: skip
    assert (first.stopped, first.finished, first.epochs_done) == (True, False, 1)
    assert not first.candidate_path.exists()
    assert read_checkpoint(first.last_path)["epoch"] == 1

    reports.clear()
    second = fit(train_t, cfg, work_dir=tmp_path / "split", version="v", val=val_t, on_epoch=reports.append)
    assert [r.epoch for r in reports] == [2]  # it continued at the saved epoch
    assert (second.finished, second.epochs_done) == (True, 2)
    assert [row["epoch"] for row in second.history] == [1, 2]
    assert [row["loss"] for row in second.history] == [row["loss"] for row in whole.history]
    a, b = _weights(whole.candidate_path), _weights(second.candidate_path)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_should_stop_mid_epoch_drops_that_epoch_and_keeps_the_last_finished_one(tmp_path: Path) -> None:
    steps: list[tuple[int, int]] = []
    result = fit(
        _frames(8), _fit_config(epochs=3), work_dir=tmp_path, version="v",
        on_step=lambda i, n, loss: steps.append((i, n)), should_stop=lambda: len(steps) == 3,
    )  # fmt: skip
    assert steps == [(1, 2), (2, 2), (1, 2)]  # stopped before epoch 2's second step
    assert (result.stopped, result.finished, result.epochs_done) == (True, False, 1)
    assert [row["epoch"] for row in result.history] == [1]
    last = read_checkpoint(result.last_path)
    assert last["epoch"] == 1 and last["step"] == 2  # epoch 2's one step is not saved anywhere
    assert not result.candidate_path.exists()


def test_callbacks_get_each_step_and_epoch_with_their_numbers(tmp_path: Path) -> None:
    steps: list[tuple[int, int, float]] = []
    reports: list[EpochReport] = []

    def on_epoch(report: EpochReport) -> None:
        assert read_checkpoint(report.last_path)["epoch"] == report.epoch  # last.pt already holds it
        reports.append(report)

    # 10 images in batches of 4: 2 steps per epoch, the last 2 images dropped (BatchNorm).
    result = fit(
        _frames(10), _fit_config(), work_dir=tmp_path, version="v",
        on_step=lambda *args: steps.append(args), on_epoch=on_epoch,
    )  # fmt: skip
    assert [(i, n) for i, n, _ in steps] == [(1, 2), (2, 2), (1, 2), (2, 2)]
    assert [(r.epoch, r.epochs, r.val_dice) for r in reports] == [(1, 2, None), (2, 2, None)]
    for report, row, (_, _, running) in zip(reports, result.history, steps[1::2], strict=True):
        # The running loss after an epoch's last step is that epoch's mean loss.
        assert report.loss == pytest.approx(running) == pytest.approx(row["loss"])
        assert report.lr == row["lr"] and report.seconds == pytest.approx(row["seconds"], abs=0.05)
    assert result.history[0]["val_dice"] is None


def test_replay_draws_its_share_of_the_pool_each_epoch_without_replacement() -> None:
    assert replay_count(10, 7, 0.3) == 3  # round(0.3 * 10)
    assert replay_count(10, 7, 1.0) == 7  # 10 wanted, capped at the pool
    assert replay_count(10, 7, 0.0) == 0
    gen = torch.Generator().manual_seed(0)
    draws = []
    for _ in range(2):
        order = epoch_order(10, 7, 3, gen)
        assert len(order) == 13 and len(set(order.tolist())) == 13
        assert sorted(i for i in order.tolist() if i < 10) == list(range(10))
        replayed = sorted(i - 10 for i in order.tolist() if i >= 10)
        assert len(replayed) == 3 and all(0 <= j < 7 for j in replayed)
        draws.append(replayed)
    assert draws[0] != draws[1]  # drawn anew each epoch (seeded: these two differ)


def test_fit_trains_on_the_union_of_train_and_drawn_replay(tmp_path: Path) -> None:
    steps: list[tuple[int, int]] = []
    pool = _frames(6, seed=100)
    # 8 train + round(0.5 * 8) = 4 replay = 12 images: 3 batches of 4 per epoch (2 without replay).
    result = fit(
        _frames(8), _fit_config(epochs=1, replay_ratio=0.5), work_dir=tmp_path, version="v", replay=pool,
        on_step=lambda i, n, loss: steps.append((i, n)),
    )  # fmt: skip
    assert steps == [(1, 3), (2, 3), (3, 3)]
    assert read_checkpoint(result.last_path)["step"] == 3


def test_a_train_set_smaller_than_a_batch_trains_as_one_batch(tmp_path: Path) -> None:
    steps: list[tuple[int, int]] = []
    result = fit(
        _frames(3), _fit_config(batch_size=8), work_dir=tmp_path, version="v",
        on_step=lambda i, n, loss: steps.append((i, n)),
    )  # fmt: skip
    assert steps == [(1, 1), (1, 1)] and result.finished
    with pytest.raises(DatasetError, match="at least 2"):
        fit(_frames(1), _fit_config(), work_dir=tmp_path / "one", version="v")


def test_resuming_a_run_of_another_size_is_refused(tmp_path: Path) -> None:
    fit(_frames(4), _fit_config(epochs=1), work_dir=tmp_path, version="v")
    pairs = [(np.zeros((48, 48, 3), np.uint8), np.zeros((48, 48), bool))] * 4
    with pytest.raises(DatasetError, match="another size"):
        fit(arrays_to_tensors(pairs, 48), _fit_config(size=48), work_dir=tmp_path, version="v")


def test_fit_refuses_best_selection_without_val_and_meta_that_overrides_its_own() -> None:
    with pytest.raises(ValueError, match="needs a validation set"):
        fit(_frames(4), _fit_config(), work_dir=Path("unused"), version="v", select_best=True)
    with pytest.raises(ValueError, match="may not set version"):
        fit(_frames(4), _fit_config(), work_dir=Path("unused"), version="v", extra_meta={"version": "x"})


def test_freeze_bn_keeps_the_base_models_running_statistics_while_weights_train(tmp_path: Path) -> None:
    torch.manual_seed(5)
    parent = tmp_path / "parent.pt"
    save_checkpoint(parent, build_model(TINY), {"version": "parent", "input_size": 32})
    start = _weights(parent)
    stats = [k for k in start if k.endswith(("running_mean", "running_var"))]
    convs = [k for k, w in start.items() if w.ndim == 4]
    assert stats and convs
    for freeze, name in ((True, "frozen"), (False, "free")):
        result = fit(_frames(8), _fit_config(epochs=1, freeze_bn=freeze), work_dir=tmp_path / name, version=name,
                     init_from=parent, val=_frames(2, seed=9))
        trained = _weights(result.candidate_path)
        assert any(not torch.equal(trained[k], start[k]) for k in convs)  # the weights did train
        same = [torch.equal(trained[k], start[k]) for k in stats]
        assert all(same) if freeze else not any(same), name
