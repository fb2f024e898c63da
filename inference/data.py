"""Kvasir-SEG style datasets: listing, the fixed split, loading into memory, augmentation.

A dataset folder holds `images/<id>.<ext>` and `masks/<id>.<ext>` with the
same stem (Kvasir-SEG: JPEG masks; CVC-ColonDB: PNG masks). Masks are
thresholded at >= 128 (Kvasir-SEG masks are JPEGs with noise around 0 and 255).
"""

from __future__ import annotations

import hashlib
import json
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from inference.errors import DatasetError
from inference.io import IMAGE_EXTS

MASK_THRESHOLD = 128
SPLITS_DIR = Path(__file__).parent / "splits"
DEFAULT_SPLIT_FILE = SPLITS_DIR / "kvasir-seg.json"
# Paper, Dataset: 1000 images split at random into 700 / 100 / 200.
SPLIT_FRACTIONS = (0.7, 0.1, 0.2)
SPLIT_SEED = 2021
# ImageNet channel statistics (RGB, 0..1); the network is trained from scratch,
# these only centre the input.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Sample:
    id: str
    image: Path
    mask: Path


def _by_stem(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_EXTS}


def list_samples(root: Path | str) -> list[Sample]:
    """Pairs of image and mask with the same stem, sorted by id."""
    root = Path(root)
    images_dir, masks_dir = root / "images", root / "masks"
    for d in (images_dir, masks_dir):
        if not d.is_dir():
            raise DatasetError(f"{root}: expected a dataset folder with images/ and masks/, {d.name}/ is missing")
    images, masks = _by_stem(images_dir), _by_stem(masks_dir)
    ids = sorted(set(images) & set(masks), key=_natural_key)
    if not ids:
        raise DatasetError(f"{root}: no image in images/ has a mask of the same name in masks/")
    return [Sample(i, images[i], masks[i]) for i in ids]


def _natural_key(s: str) -> tuple:
    return (0, int(s), "") if s.isdigit() else (1, 0, s)


def make_split(ids: list[str], seed: int = SPLIT_SEED, fractions=SPLIT_FRACTIONS) -> dict:
    """A seeded random split of ids into train / val / test (each list sorted)."""
    shuffled = sorted(ids)
    random.Random(seed).shuffle(shuffled)
    n_train = round(len(ids) * fractions[0])
    n_val = round(len(ids) * fractions[1])
    return {
        "seed": seed,
        "train": sorted(shuffled[:n_train]),
        "val": sorted(shuffled[n_train : n_train + n_val]),
        "test": sorted(shuffled[n_train + n_val :]),
    }


def write_split(path: Path, split: dict) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(split, indent=1) + "\n")
    return split_hash(path)


def split_hash(path: Path) -> str:
    """sha256 of the split file's bytes: every checkpoint records the split it saw."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_split(path: Path) -> dict:
    try:
        split = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read the split file ({exc})") from exc
    for name in ("train", "val", "test"):
        if not isinstance(split.get(name), list):
            raise DatasetError(f"{path}: the split file has no list named {name!r}")
    return split


def select(samples: list[Sample], split_file: Path | None, part: str) -> list[Sample]:
    """The samples of one split part ('train', 'val', 'test') or all of them ('all')."""
    if part == "all":
        return samples
    if split_file is None:
        raise DatasetError(f"split {part!r} needs a split file")
    wanted = load_split(split_file)[part]
    by_id = {s.id: s for s in samples}
    missing = [i for i in wanted if i not in by_id]
    if missing:
        raise DatasetError(
            f"{len(missing)} ids of the {part!r} split in {split_file} are not in this dataset "
            f"(first: {missing[0]}); pass --split all to use every image, or --split-file"
        )
    return [by_id[i] for i in wanted]


def dedupe(samples: list[Sample]) -> tuple[list[Sample], int]:
    """Drop samples whose image bytes repeat an earlier one (CVC-ColonDB repeats frames)."""
    seen: set[str] = set()
    kept = []
    for s in samples:
        digest = hashlib.sha256(s.image.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            kept.append(s)
    return kept, len(samples) - len(kept)


def read_rgb(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise DatasetError(f"{path}: not a readable image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def read_mask(path: Path) -> np.ndarray:
    """(H, W) bool, foreground where the first channel is >= 128."""
    m = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if m is None:
        raise DatasetError(f"{path}: not a readable mask image")
    if m.ndim == 3:
        m = m[..., 2] if m.shape[2] >= 3 else m[..., 0]  # OpenCV is BGR: RGB's first channel
    if m.dtype != np.uint8:
        m = (m > 0).astype(np.uint8) * 255
    return m >= MASK_THRESHOLD


def _load_resized(sample: Sample, size: int) -> tuple[np.ndarray, np.ndarray]:
    img = cv2.resize(read_rgb(sample.image), (size, size), interpolation=cv2.INTER_AREA)
    mask = read_mask(sample.mask).astype(np.uint8) * 255
    mask = cv2.resize(mask, (size, size), interpolation=cv2.INTER_LINEAR) >= MASK_THRESHOLD
    return img, mask


def load_tensors(samples: list[Sample], size: int, workers: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Every sample resized to size x size (paper: 448) and held in memory.

    Returns images (N, 3, size, size) uint8 and masks (N, 1, size, size) uint8 0/1.
    """
    with ThreadPoolExecutor(workers) as pool:  # OpenCV releases the GIL while decoding
        pairs = list(pool.map(lambda s: _load_resized(s, size), samples))
    images = torch.from_numpy(np.stack([p[0] for p in pairs])).permute(0, 3, 1, 2).contiguous()
    masks = torch.from_numpy(np.stack([p[1] for p in pairs])).unsqueeze(1).to(torch.uint8)
    return images, masks


def normalize(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) uint8 RGB -> float32 normalised with MEAN and STD."""
    mean = torch.tensor(MEAN, device=images.device).view(1, 3, 1, 1) * 255
    std = torch.tensor(STD, device=images.device).view(1, 3, 1, 1) * 255
    return (images.float() - mean) / std


@dataclass(frozen=True)
class AugmentConfig:
    """The paper's six augmentations, each applied with probability p."""

    p: float = 0.5
    contrast: tuple[float, float] = (0.7, 1.3)
    zoom_out: float = 0.5  # paper: zoom out with a coefficient of 0.5
    zoom_in: float = 2.0  # paper: zoom in with a coefficient of 2.0
    crop: float = 0.8  # random crop keeps at least this fraction of each side


def augment(
    images: torch.Tensor, masks: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Batched augmentation on whatever device the batch is on.

    images: (N, 3, H, W) float (normalised); masks: (N, 1, H, W) float 0/1.
    Flips, zoom (out to 0.5x with padding, or in to 2x), and random crop are
    one affine resampling per image; contrast scales each image about its mean.
    """
    n, dev = images.shape[0], images.device

    def coin() -> torch.Tensor:
        return torch.rand(n, generator=generator).lt(cfg.p).to(dev)

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator) * (hi - lo) + lo).to(dev)

    hflip, vflip, contrast, zoom_out, zoom_in, crop = (coin() for _ in range(6))
    # Scale of the sampled window relative to the image: >1 zooms out, <1 zooms in.
    scale = torch.ones(n, device=dev)
    scale = torch.where(zoom_out, uniform(1.0, 1.0 / cfg.zoom_out), scale)
    scale = torch.where(zoom_in & ~zoom_out, uniform(1.0 / cfg.zoom_in, 1.0), scale)
    crop_scale = torch.where(crop, uniform(cfg.crop, 1.0), torch.ones(n, device=dev))
    sx = scale * crop_scale
    sy = scale * crop_scale
    # The window may move anywhere it stays on the image (or centred when it is larger).
    tx = (uniform(-1, 1) * (1 - sx).clamp(min=0)) if n else torch.zeros(0, device=dev)
    ty = (uniform(-1, 1) * (1 - sy).clamp(min=0)) if n else torch.zeros(0, device=dev)
    sx = torch.where(hflip, -sx, sx)
    sy = torch.where(vflip, -sy, sy)
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0], theta[:, 0, 2] = sx, tx
    theta[:, 1, 1], theta[:, 1, 2] = sy, ty
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    # Zero padding in normalised space is black in pixels: pad with the value of 0.
    black = normalize(torch.zeros(1, 3, 1, 1, device=dev))
    shifted = F.grid_sample(images - black, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + black
    out_masks = F.grid_sample(masks, grid, mode="bilinear", padding_mode="zeros", align_corners=False).ge(0.5)
    factor = torch.where(contrast, uniform(*cfg.contrast), torch.ones(n, device=dev)).view(n, 1, 1, 1)
    mean = shifted.mean(dim=(1, 2, 3), keepdim=True)
    return (shifted - mean) * factor + mean, out_masks.float()
