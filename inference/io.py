"""Reading inputs (video, image, folder of images) with errors that name the file and the problem.

The file type is found by probing with OpenCV, never trusted from the extension.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from inference.errors import InputError

# The still-image files the project reads (Kvasir-SEG, imports, uploads). Here, not in inference/data.py: this
# module does not import torch, so the web process can check extensions without loading it.
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")

# Frames beyond 8K UHD are refused: one 8K frame already needs ~130 MB as float32.
MAX_SIDE = 7680
MIN_SIDE = 8


@dataclass
class Source:
    """A probed input: kind is 'video', 'image' or 'folder'."""

    path: Path
    kind: str
    count: int  # frames (video, from the container; may be an estimate) or images
    fps: float = 0.0
    width: int = 0
    height: int = 0
    names: tuple[str, ...] = ()  # output stems, one per frame

    def frames(self) -> Iterator[np.ndarray]:
        """(H, W, 3) uint8 BGR frames in order."""
        if self.kind == "video":
            yield from _video_frames(self)
        elif self.kind == "image":
            yield read_image(self.path)
        else:
            for name in self.names:
                yield read_image(self._files[name])

    _files: dict[str, Path] | None = None  # folder: stem -> file


def _check_size(path: Path, h: int, w: int) -> None:
    if min(h, w) < MIN_SIDE:
        raise InputError(f"{path}: frame of {w}x{h} pixels is too small (at least {MIN_SIDE} pixels a side)")
    if max(h, w) > MAX_SIDE:
        raise InputError(f"{path}: frame of {w}x{h} pixels is too large (at most {MAX_SIDE} pixels a side)")


def read_image(path: Path) -> np.ndarray:
    """Any OpenCV-readable image as (H, W, 3) uint8 BGR: grayscale is expanded, alpha dropped, 16-bit scaled."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise InputError(f"{path}: not an image OpenCV can decode")
    _check_size(path, *img.shape[:2])
    return img


def _video_frames(src: Source) -> Iterator[np.ndarray]:
    cap = cv2.VideoCapture(str(src.path))
    try:
        n = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            n += 1
            yield frame
        # Containers state their frame count; far fewer decoded frames means a cut-off file.
        if src.count > 0 and n < src.count * 0.95:
            raise InputError(f"{src.path}: video is truncated or corrupt: decoded {n} of {src.count} frames")
        if n == 0:
            raise InputError(f"{src.path}: video has no decodable frames")
    finally:
        cap.release()


def probe(path: Path | str) -> Source:
    """Find what the input is; raise InputError naming the file when it is nothing usable."""
    path = Path(path)
    if path.is_dir():
        files = {p.stem: p for p in sorted(path.iterdir()) if p.is_file() and p.suffix.lower() in IMAGE_EXTS}
        if not files:
            raise InputError(f"{path}: folder holds no images ({', '.join(IMAGE_EXTS)})")
        src = Source(path, "folder", len(files), names=tuple(files))
        src._files = files
        return src
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is not None:
        _check_size(path, *img.shape[:2])
        return Source(path, "image", 1, width=img.shape[1], height=img.shape[0], names=(path.stem,))
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise InputError(f"{path}: not an image or a video in a format that can be decoded")
        ok, frame = cap.read()
        if not ok or frame is None:
            raise InputError(f"{path}: video has no decodable frames (empty, truncated or corrupt)")
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    finally:
        cap.release()
    h, w = frame.shape[:2]
    _check_size(path, h, w)
    count = max(count, 1)
    return Source(path, "video", count, fps=fps, width=w, height=h, names=())
