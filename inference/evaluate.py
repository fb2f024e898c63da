"""Evaluation on a dataset folder: mean per-image IoU, Dice, SE, SP (paper) and FPS.

Masks are predicted at the model's input size and compared with the ground
truth at the image's own resolution (what a reviewer sees), after the engine
maps the probability back. Byte-identical duplicate images are scored once.
"""

from __future__ import annotations

import time
from pathlib import Path

from tqdm import tqdm

from inference.data import DEFAULT_SPLIT_FILE, dedupe, list_samples, read_mask, select
from inference.engine import Engine
from inference.io import read_image
from inference.metrics import SegmentationMetrics


def evaluate_folder(
    data: Path | str,
    split: str = "test",
    split_file: Path | None = None,
    checkpoint: Path | None = None,
    device: str = "auto",
    threshold: float = 0.5,
    batch: int = 8,
    limit: int = 0,
    fast: bool = False,
    progress: bool = True,
) -> dict:
    samples = list_samples(data)
    chosen = select(samples, Path(split_file) if split_file else DEFAULT_SPLIT_FILE, split)
    chosen, dropped = dedupe(chosen)
    if limit:
        chosen = chosen[:limit]
    engine = Engine.from_checkpoint(checkpoint, device=device, threshold=threshold, batch=batch, fast=fast)
    metrics = SegmentationMetrics()
    model_seconds = 0.0
    bar = tqdm(total=len(chosen), desc="evaluate", unit="img", disable=not progress)
    for i in range(0, len(chosen), batch):
        part = chosen[i : i + batch]
        images = [read_image(s.image) for s in part]
        t0 = time.perf_counter()
        results = engine.predict_batch(images)
        model_seconds += time.perf_counter() - t0
        for sample, result in zip(part, results, strict=True):
            metrics.update(result.mask, read_mask(sample.mask))
        bar.update(len(part))
    bar.close()
    summary = metrics.aggregate()
    return {
        "n": summary["n"],
        "iou": round(summary["iou"], 5),
        "dice": round(summary["dice"], 5),
        "se": round(summary["se"], 5),
        "sp": round(summary["sp"], 5),
        "fps": round(summary["n"] / model_seconds, 2) if model_seconds else 0.0,
        "split": split,
        "duplicates_dropped": dropped,
        "threshold": threshold,
        "model_version": engine.version,
        "checkpoint_sha256": engine.meta.get("sha256"),
        "input_size": engine.size,
        "device": str(engine.device),
        "fast": fast,
    }
