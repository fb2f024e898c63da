"""Training recipe of the paper (Loss Function and Implementation Details).

Adam at lr 1e-3 with L2 weight decay, gradual warmup from 1e-5, then poly
decay (power 0.9), batch 8, the six augmentations, BCE/Dice loss 0.4/0.6.
The best checkpoint by validation Dice is kept; `last.pt` holds everything
needed to resume (weights, optimiser, step, RNG state, history).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from inference.checkpoint import read_checkpoint, save_checkpoint
from inference.data import (
    DEFAULT_SPLIT_FILE,
    AugmentConfig,
    augment,
    list_samples,
    load_tensors,
    normalize,
    select,
    split_hash,
)
from inference.errors import DatasetError
from inference.losses import bce_dice_loss
from inference.models import ModelConfig, build_model
from inference.runtime import autocast_dtype, pick_device


@dataclass(frozen=True)
class TrainConfig:
    data: str
    out: str
    variant: str = "scrnet"
    split_file: str = str(DEFAULT_SPLIT_FILE)
    size: int = 448  # paper: all images resized to 448 x 448
    epochs: int = 150  # the shipped model's schedule (the paper gives none)
    batch_size: int = 8  # paper
    lr: float = 1e-3  # paper: initial learning rate
    lr_min: float = 1e-5  # paper: warmup start
    warmup_epochs: float = 2.0
    power: float = 0.9  # paper: warmup and poly decay power
    weight_decay: float = 1e-4  # eq. 8's gamma; the paper gives no value
    seed: int = 2021
    device: str = "auto"
    amp: bool = True  # bf16 autocast where the device supports it
    val_every: int = 1
    time_budget_s: float = 0.0  # stop cleanly (resumable) after this many seconds; 0 = none
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def __post_init__(self) -> None:
        if self.size < 16 or self.size % 16:
            raise DatasetError(f"--size must be a positive multiple of 16 (four 2x2 poolings), got {self.size}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def lr_at(step: int, total_steps: int, warmup_steps: int, cfg: TrainConfig) -> float:
    """Learning rate at a step (0-based).

    Warmup: the paper writes lr = lr_min * (1 + step / warmup_step) ** power,
    which only reaches 1.9e-5 with its own values and never the initial rate
    it says it warms up to; we keep its start (lr_min), end (lr) and power:
        lr = lr_min + (lr_init - lr_min) * (step / warmup_steps) ** power.
    Decay (paper): lr = lr_init * (1 - t / (total - warmup)) ** power, with t
    counted from the end of warmup.
    """
    if step < warmup_steps:
        return cfg.lr_min + (cfg.lr - cfg.lr_min) * (step / warmup_steps) ** cfg.power
    t = step - warmup_steps
    return cfg.lr * max(0.0, 1 - t / max(1, total_steps - warmup_steps)) ** cfg.power


@torch.no_grad()
def validate(model: torch.nn.Module, images: torch.Tensor, masks: torch.Tensor, amp_dtype, batch: int = 16) -> float:
    """Mean per-image Dice at the training size (empty on empty scores 1)."""
    model.eval()
    dices = []
    for i in range(0, images.shape[0], batch):
        x = normalize(images[i : i + batch]).contiguous(memory_format=torch.channels_last)
        with torch.autocast(x.device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            pred = model(x).float() > 0
        gt = masks[i : i + batch].bool()
        inter = (pred & gt).flatten(1).sum(1).float()
        total = (pred.flatten(1).sum(1) + gt.flatten(1).sum(1)).float()
        dices.append(torch.where(total > 0, 2 * inter / total.clamp(min=1), torch.ones_like(total)))
    model.train()
    return float(torch.cat(dices).mean())


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


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> dict[str, Any]:
    """Train, keeping `best.pt` and `last.pt` in cfg.out; returns the run summary."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    last_path, best_path = out / "last.pt", out / "best.pt"
    device = pick_device(cfg.device)
    amp_dtype = autocast_dtype(device) if cfg.amp else None
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)

    samples = list_samples(cfg.data)
    train_s = select(samples, Path(cfg.split_file), "train")
    val_s = select(samples, Path(cfg.split_file), "val")
    if len(train_s) < cfg.batch_size:
        raise DatasetError(f"{cfg.data}: {len(train_s)} training images, fewer than one batch of {cfg.batch_size}")
    t_load = time.time()
    train_x, train_y = (t.to(device) for t in load_tensors(train_s, cfg.size))
    val_x, val_y = (t.to(device) for t in load_tensors(val_s, cfg.size))
    load_s = time.time() - t_load

    model = build_model(ModelConfig(variant=cfg.variant)).to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = len(train_s) // cfg.batch_size  # drop the last partial batch (BN)
    total_steps = steps_per_epoch * cfg.epochs
    warmup_steps = max(1, int(cfg.warmup_epochs * steps_per_epoch))
    gen = torch.Generator().manual_seed(cfg.seed)
    history: list[dict] = []
    start_epoch, step, best_dice, elapsed_before = 0, 0, -1.0, 0.0
    the_split_hash = split_hash(Path(cfg.split_file))

    if resume and last_path.is_file():
        state = read_checkpoint(last_path)
        if state.get("train_config", {}).get("variant") != cfg.variant:
            raise DatasetError(f"{last_path}: was trained as another variant; use a fresh --out")
        model.load_state_dict(state["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        gen.set_state(state["rng"])
        start_epoch, step = state["epoch"], state["step"]
        best_dice, history = state["best_val_dice"], state["history"]
        elapsed_before = state["train_seconds"]
        print(f"resuming {last_path} at epoch {start_epoch}, step {step}, best val Dice {best_dice:.4f}")

    def meta(epoch: int, extra: dict | None = None) -> dict[str, Any]:
        return {
            "version": f"{cfg.variant}-kvasir-{cfg.size}px-e{epoch}",
            "train_config": cfg.to_dict(),
            "input_size": cfg.size,
            "split_hash": the_split_hash,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "device": str(device) + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""),
            **(extra or {}),
        }

    t0 = time.time()
    model.train()
    stopped_early = False
    for epoch in range(start_epoch, cfg.epochs):
        order = torch.randperm(len(train_s), generator=gen)
        losses = []
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not progress, leave=False)
        for b in bar:
            idx = order[b * cfg.batch_size : (b + 1) * cfg.batch_size].to(device)
            x, y = augment(normalize(train_x[idx]), train_y[idx].float(), cfg.augment, gen)
            lr = lr_at(step, total_steps, warmup_steps, cfg)
            for group in optimizer.param_groups:
                group["lr"] = lr
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                logits = model(x.contiguous(memory_format=torch.channels_last))
            loss = bce_dice_loss(logits, y)
            if not math.isfinite(loss.item()):
                raise RuntimeError(f"training diverged at epoch {epoch + 1}, step {step} (loss {loss.item()})")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            step += 1
            bar.set_postfix(loss=f"{np.mean(losses):.4f}", lr=f"{lr:.2e}")
        row: dict[str, Any] = {"epoch": epoch + 1, "loss": float(np.mean(losses)), "lr": lr}
        if (epoch + 1) % cfg.val_every == 0 or epoch + 1 == cfg.epochs:
            row["val_dice"] = validate(model, val_x, val_y, amp_dtype)
            if row["val_dice"] > best_dice:
                best_dice = row["val_dice"]
                save_checkpoint(
                    best_path, model, meta(epoch + 1, {"metrics": {"val_dice": best_dice}, "epoch": epoch + 1})
                )
        train_seconds = elapsed_before + time.time() - t0
        row["seconds"] = round(train_seconds, 1)
        history.append(row)
        val_txt = f"  val Dice {row['val_dice']:.4f} (best {best_dice:.4f})" if "val_dice" in row else ""
        print(
            f"epoch {epoch + 1}/{cfg.epochs}  loss {row['loss']:.4f}  lr {lr:.2e}{val_txt}  {train_seconds:.0f}s",
            flush=True,
        )
        save_checkpoint(
            last_path,
            model,
            meta(
                epoch + 1,
                {
                    "optimizer": optimizer.state_dict(),
                    "rng": gen.get_state(),
                    "epoch": epoch + 1,
                    "step": step,
                    "best_val_dice": best_dice,
                    "history": history,
                    "train_seconds": train_seconds,
                },
            ),
        )
        if cfg.time_budget_s and time.time() - t0 > cfg.time_budget_s and epoch + 1 < cfg.epochs:
            print(f"time budget reached after epoch {epoch + 1}; run again with --resume to continue")
            stopped_early = True
            break

    (out / "history.json").write_text(json.dumps(history, indent=1) + "\n")
    plot_history(history, out / "curves.png", f"{cfg.variant}, Kvasir-SEG, {cfg.size}px, batch {cfg.batch_size}")
    return {
        "best_val_dice": best_dice,
        "epochs_done": history[-1]["epoch"] if history else start_epoch,
        "finished": not stopped_early,
        "train_seconds": history[-1]["seconds"] if history else elapsed_before,
        "load_seconds": round(load_s, 1),
        "device": str(device),
    }
