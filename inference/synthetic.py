"""Synthetic colonoscopy-like frames and videos, for demos and tests without the real datasets.

A frame is a reddish mucosa background with a dark vignette and, optionally, a
brighter elliptical 'polyp'; the matching mask marks the ellipse.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from inference.errors import InputError


def synthetic_frame(
    height: int, width: int, rng: np.random.Generator, polyp: tuple[float, float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 3) uint8 BGR frame and (H, W) bool mask; polyp = (cx, cy, radius) as fractions of the frame."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r = np.hypot((xx - width / 2) / width, (yy - height / 2) / height)
    base = np.array([60, 80, 170], np.float32) * np.clip(1.2 - 1.4 * r, 0.15, 1.0)[..., None]
    frame = base + rng.normal(0, 6, (height, width, 3)).astype(np.float32)
    mask = np.zeros((height, width), bool)
    if polyp is not None:
        cx, cy, rad = polyp
        ax, ay = rad * width, rad * height * 0.8
        mask = ((xx - cx * width) / ax) ** 2 + ((yy - cy * height) / ay) ** 2 <= 1
        frame[mask] = frame[mask] * 0.5 + np.array([150, 170, 235], np.float32) * 0.5
    return np.clip(frame, 0, 255).astype(np.uint8), mask


def write_sample_video(
    path: Path | str, frames: int = 75, size: tuple[int, int] = (320, 288), fps: float = 25.0, seed: int = 0
) -> Path:
    """An MP4 (mp4v) whose middle third shows a polyp drifting across the frame."""
    path = Path(path)
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise InputError(f"{path}: cannot open a video writer (mp4v)")
    rng = np.random.default_rng(seed)
    try:
        for i in range(frames):
            t = i / max(frames - 1, 1)
            polyp = (0.3 + 0.4 * t, 0.5, 0.15) if frames / 3 <= i < 2 * frames / 3 else None
            writer.write(synthetic_frame(height, width, rng, polyp)[0])
    finally:
        writer.release()
    return path
