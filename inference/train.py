"""The CLI's training run (`python -m inference train`) on a Kvasir-style folder and its fixed split file.

On top of `inference.fit.fit` (the recipe and the library call the web app's training worker uses): it also
keeps `best.pt` (best by validation Dice), `history.json` and `curves.png`, and honours a time budget.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from inference.checkpoint import read_checkpoint
from inference.data import (
    DEFAULT_SPLIT_FILE,
    list_samples,
    load_tensors,
    select,
    split_hash,
)
from inference.errors import DatasetError
from inference.fit import CANDIDATE_NAME, LAST_NAME, EpochReport, FitConfig, fit


@dataclass(frozen=True)
class TrainConfig(FitConfig):
    """The CLI's run: FitConfig's hyper-parameters plus a dataset folder, its split file, an output folder and a
    time budget."""

    data: str = ""
    out: str = ""
    split_file: str = str(DEFAULT_SPLIT_FILE)
    time_budget_s: float = 0.0  # stop cleanly (resumable) after this many seconds; 0 = none

    def fit_config(self) -> FitConfig:
        """The hyper-parameters alone, as fit() takes them."""
        return FitConfig(**{name: getattr(self, name) for name in FitConfig.__dataclass_fields__})


def plot_history(history: list[dict], path: Path, title: str) -> None:
    """Loss and validation-Dice curves side by side, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    a.plot(epochs, [h["loss"] for h in history], color="tab:blue")
    a.set(xlabel="epoch", ylabel="training loss (0.4 BCE + 0.6 Dice)", title="Training loss")
    vals = [(h["epoch"], h["val_dice"]) for h in history if h.get("val_dice") is not None]
    if vals:
        b.plot(*zip(*vals, strict=True), color="tab:green")
        best = max(vals, key=lambda v: v[1])
        b.scatter([best[0]], [best[1]], color="tab:red", zorder=3, label=f"best {best[1]:.4f} @ {best[0]}")
        b.legend(loc="lower right")
    b.set(xlabel="epoch", ylabel="validation Dice", title="Validation Dice", ylim=(0, 1))
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _copy_as_version(src: Path, dst: Path, version: str) -> None:
    """Copy a checkpoint under another version string, atomically (temp file, then rename)."""
    data = read_checkpoint(src)
    data["version"] = version
    tmp = dst.with_suffix(dst.suffix + ".tmp")
    torch.save(data, tmp)
    tmp.replace(dst)


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> dict[str, Any]:
    """Train on cfg.data's split, keeping `best.pt` and `last.pt` in cfg.out; returns the run summary."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    last_path, best_path = out / LAST_NAME, out / "best.pt"
    samples = list_samples(cfg.data)
    train_s = select(samples, Path(cfg.split_file), "train")
    val_s = select(samples, Path(cfg.split_file), "val")
    if len(train_s) < cfg.batch_size:
        raise DatasetError(f"{cfg.data}: {len(train_s)} training images, fewer than one batch of {cfg.batch_size}")
    t_load = time.time()
    train_t = load_tensors(train_s, cfg.size)
    val_t = load_tensors(val_s, cfg.size)
    load_s = time.time() - t_load

    best = -1.0
    if resume and last_path.is_file():
        state = read_checkpoint(last_path)
        best = state.get("best_val_dice", -1.0)
        print(f"resuming {last_path} at epoch {state.get('epoch')}, step {state.get('step')}, best val Dice {best:.4f}")
    version = f"{cfg.variant}-kvasir-{cfg.size}px"
    t0 = time.time()
    budget_hit = False

    def on_epoch(report: EpochReport) -> None:
        nonlocal best, budget_hit
        if report.val_dice is not None and report.val_dice > best:
            best = report.val_dice
            # fit just wrote the best so far; best.pt names its epoch, as the shipped model's version does.
            _copy_as_version(out / CANDIDATE_NAME, best_path, f"{version}-e{report.epoch}")
        val_txt = f"  val Dice {report.val_dice:.4f} (best {best:.4f})" if report.val_dice is not None else ""
        print(
            f"epoch {report.epoch}/{report.epochs}  loss {report.loss:.4f}  lr {report.lr:.2e}{val_txt}"
            f"  {report.seconds:.0f}s",
            flush=True,
        )
        budget_hit = bool(cfg.time_budget_s) and time.time() - t0 > cfg.time_budget_s

    result = fit(
        train_t,
        cfg.fit_config(),
        work_dir=out,
        version=version,
        val=val_t,
        resume=resume,
        select_best=True,
        on_epoch=on_epoch,
        should_stop=lambda: budget_hit,
        progress=progress,
        extra_meta={"split_hash": split_hash(Path(cfg.split_file)), "data": cfg.data},
    )
    if result.stopped:
        print(f"time budget reached after epoch {result.epochs_done}; run again with --resume to continue")
    history = result.history
    (out / "history.json").write_text(json.dumps(history, indent=1) + "\n")
    plot_history(history, out / "curves.png", f"{cfg.variant}, Kvasir-SEG, {cfg.size}px, batch {cfg.batch_size}")
    return {
        "best_val_dice": best,
        "epochs_done": result.epochs_done,
        "finished": result.finished,
        "train_seconds": result.train_seconds,
        "load_seconds": round(load_s, 1),
        "device": result.device,
    }
