"""`python -m inference segment INPUT --out DIR`: masks, per-frame results and an overlay video.

Outputs are written to a staging folder beside DIR and moved into DIR only
when every frame succeeded, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from inference.engine import Engine, FrameResult
from inference.errors import InputError
from inference.io import Source, probe

OVERLAY_COLOR = (0, 255, 0)  # BGR green: the mask tint and contour
OVERLAY_ALPHA = 0.35


def draw_overlay(frame: np.ndarray, result: FrameResult) -> np.ndarray:
    """Frame with the mask tinted, its outline drawn and the polyp score printed (BGR)."""
    out = frame.copy()
    if result.mask.any():
        tint = np.zeros_like(frame)
        tint[result.mask] = OVERLAY_COLOR
        out = np.where(result.mask[..., None], cv2.addWeighted(frame, 1 - OVERLAY_ALPHA, tint, OVERLAY_ALPHA, 0), out)
        contours, _ = cv2.findContours(result.mask.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, OVERLAY_COLOR, 2)
    label = f"frame {result.index}  polyp score {result.score:.2f}"
    cv2.putText(out, label, (10, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, label, (10, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def _stage_dir(out: Path) -> Path:
    stage = out.parent / f".{out.name}.partial"
    if stage.exists():
        shutil.rmtree(stage)
    (stage / "masks").mkdir(parents=True)
    return stage


def _commit(stage: Path, out: Path) -> None:
    """Move staged outputs into out, replacing earlier results of the same names."""
    out.mkdir(parents=True, exist_ok=True)
    for item in stage.iterdir():
        target = out / item.name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        item.replace(target)
    stage.rmdir()


def segment_path(
    input_path: Path | str,
    out: Path | str,
    checkpoint: Path | None = None,
    device: str = "auto",
    threshold: float = 0.5,
    batch: int = 8,
    fast: bool | None = None,
    overlay: bool = True,
    progress: bool = True,
) -> dict:
    src = probe(input_path)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: --out must be a folder, and this is a file")
    if fast is None:
        fast = src.kind == "video" and src.count >= 250  # compiling pays off after ~10 s of video
    engine = Engine.from_checkpoint(checkpoint, device=device, threshold=threshold, batch=batch, fast=fast)
    stage = _stage_dir(out)
    try:
        summary = _run(src, engine, stage, overlay, progress)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _commit(stage, out)
    return summary


def _run(src: Source, engine: Engine, stage: Path, overlay: bool, progress: bool) -> dict:
    writer = None
    if src.kind == "video" and overlay:
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        writer = cv2.VideoWriter(str(stage / "overlay.mp4"), fourcc, src.fps or 25.0, (src.width, src.height))
        if not writer.isOpened():
            raise InputError(f"{stage / 'overlay.mp4'}: cannot open a video writer (mp4v)")
    frames_out: list[dict] = []
    bar = tqdm(total=src.count, unit="frame", desc=f"segment {src.path.name}", disable=not progress)
    t0 = time.perf_counter()

    def emit(frame: np.ndarray, result: FrameResult) -> None:
        name = src.names[result.index] if src.kind != "video" else f"{result.index:06d}"
        if not cv2.imwrite(str(stage / "masks" / f"{name}.png"), result.mask.view(np.uint8) * 255):
            raise InputError(f"{stage}: cannot write mask {name}.png")
        if writer is not None:
            if frame.shape[:2] != (src.height, src.width):
                raise InputError(f"{src.path}: frame {result.index} changes size mid-video")
            writer.write(draw_overlay(frame, result))
        row = result.summary() | {"name": name, "width": int(frame.shape[1]), "height": int(frame.shape[0])}
        if src.kind == "video" and src.fps:
            row["time_s"] = round(result.index / src.fps, 3)
        frames_out.append(row)
        bar.update(1)

    try:
        pending: list[np.ndarray] = []
        for frame in src.frames():
            pending.append(frame)
            if len(pending) == engine.batch:
                for f, r in zip(pending, engine.predict_batch(pending, len(frames_out)), strict=True):
                    emit(f, r)
                pending = []
        for f, r in zip(pending, engine.predict_batch(pending, len(frames_out)), strict=True):
            emit(f, r)
    finally:
        bar.close()
        if writer is not None:
            writer.release()
    seconds = time.perf_counter() - t0
    results = {
        "input": str(src.path),
        "kind": src.kind,
        "frames": frames_out,
        "n_frames": len(frames_out),
        "source_fps": src.fps or None,
        "threshold": engine.threshold,
        "model": {"version": engine.version, "sha256": engine.meta.get("sha256"), "input_size": engine.size},
        "device": str(engine.device),
        "fast_path": engine.fast,
        "seconds": round(seconds, 2),
        "fps": round(len(frames_out) / seconds, 2) if seconds else None,
    }
    (stage / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    return {k: results[k] for k in ("input", "kind", "n_frames", "fps", "seconds")} | {"model": engine.version}
