"""Synthetic colonoscopy-like data for the inference tests, written with OpenCV into tmp folders.

A "polyp" is a bright ellipse on a dark, slightly textured background; its mask is the
same ellipse. Everything is tiny (tens of pixels) so the tests stay fast on two CPU cores.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from inference.data import MEAN, STD

ROOT = Path(__file__).resolve().parents[2]
# Frames are dark (~30) with bright polyps (~220): what BrightnessModel separates.
DARK, BRIGHT = 30, 220


def polyp_frame(
    h: int, w: int, center: tuple[int, int] | None = None, axes: tuple[int, int] | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 3) uint8 BGR frame with a bright ellipse, and its (H, W) bool mask."""
    rng = np.random.default_rng(seed)
    frame = np.clip(rng.normal(DARK, 4, size=(h, w, 3)), 0, 255).astype(np.uint8)
    cx, cy = center if center is not None else (w // 2, h // 2)
    ax = axes if axes is not None else (max(w // 5, 2), max(h // 6, 2))
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (cx, cy), ax, 0, 0, 360, 255, -1)
    frame[mask > 0] = (BRIGHT - 40, BRIGHT - 20, BRIGHT)  # reddish, BGR
    return frame, mask > 0


def write_image(path: Path, array: np.ndarray) -> Path:
    """cv2.imwrite, whose format follows the extension; returns path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), array), f"cv2 could not write {path}"
    return path


def write_png_as(path: Path, array: np.ndarray) -> Path:
    """PNG bytes under any file name (e.g. a .mp4 name): content, not extension, decides the type."""
    ok, buf = cv2.imencode(".png", array)
    assert ok
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.tobytes())
    return path


def write_dataset(root: Path, n: int, size: tuple[int, int] = (48, 48), mask_ext: str = ".png") -> list[str]:
    """root/images/<i>.jpg and root/masks/<i><mask_ext>, polyps at varying places; returns the ids."""
    h, w = size
    ids = []
    for i in range(n):
        rng = np.random.default_rng(i)
        center = (int(rng.integers(w // 4, 3 * w // 4)), int(rng.integers(h // 4, 3 * h // 4)))
        axes = (int(rng.integers(w // 8, w // 4)), int(rng.integers(h // 8, h // 4)))
        frame, mask = polyp_frame(h, w, center, axes, seed=i)
        write_image(root / "images" / f"{i}.jpg", frame)
        write_image(root / "masks" / f"{i}{mask_ext}", mask.astype(np.uint8) * 255)
        ids.append(str(i))
    return ids


def write_video(path: Path, n: int, w: int = 96, h: int = 80, fourcc: str = "mp4v", fps: float = 10.0) -> Path:
    """A clip of n frames with a polyp sliding left to right; returns path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"cannot open a {fourcc} writer for {path}"
    for i in range(n):
        x = w // 4 + (i * w // 2) // max(n - 1, 1)
        frame, _ = polyp_frame(h, w, center=(x, h // 2), seed=i)
        writer.write(frame)
    writer.release()
    return path


def truncate_half(path: Path) -> Path:
    """Keep the first half of the file's bytes, as an interrupted upload would."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def count_video_frames(path: Path) -> int:
    """Frames OpenCV actually decodes (not the container's claim)."""
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


class BrightnessModel(nn.Module):
    """A stand-in network with known output: logit = gain * (mean normalised channel value - offset).

    On polyp_frame images it gives probability ~1 on the bright ellipse and ~0 elsewhere,
    so engine post-processing (resize back, threshold, boxes, score) can be checked exactly.
    """

    def __init__(self, gain: float = 20.0) -> None:
        super().__init__()
        self.gain = gain
        mid = (DARK + BRIGHT) / 2
        # Normalised value of a mid-grey pixel, averaged over channels.
        self.offset = float(np.mean([(mid - 255 * m) / (255 * s) for m, s in zip(MEAN, STD, strict=True)]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gain * (x.mean(dim=1, keepdim=True) - self.offset)


def run_cli(*args: str | Path, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess:
    """python -m inference ARGS in a fresh interpreter, from the repository root."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("OMP_NUM_THREADS", "2")
    return subprocess.run(
        [sys.executable, "-m", "inference", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
