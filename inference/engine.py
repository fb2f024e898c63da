"""Frame engine: BGR frames in, per-frame probability maps, masks, scores and boxes out.

This is the API the web app's workers call. It never imports Django.

    engine = Engine.from_checkpoint(None)          # the shipped default model
    for result in engine.run(read_frames(path)):   # any iterable of (H, W, 3) uint8 BGR
        result.mask, result.score, result.boxes

Frames are resized to the checkpoint's input size (paper: 448 x 448), run in
batches, and every output is mapped back to the frame's own resolution.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from inference import postprocess
from inference.checkpoint import default_checkpoint, load_checkpoint
from inference.data import MEAN, STD
from inference.errors import CheckpointError
from inference.postprocess import MIN_BOX_FRACTION, FrameResult, FrameRuns
from inference.runtime import autocast_dtype, pick_device

__all__ = ["MIN_BOX_FRACTION", "Engine", "FrameResult", "FrameRuns", "cached_model", "drop_cached_models"]

_CACHE: dict[tuple, tuple[nn.Module, dict]] = {}
_CACHE_LOCK = threading.Lock()


def cached_model(
    checkpoint: Path, device: torch.device, fast: bool, cache_dir: Path | str | None = None
) -> tuple[nn.Module, dict]:
    """The model of a checkpoint, loaded once per process, device and path (never at import).

    With `fast`, the fast path chosen for this device and CPU (inference/fastpath.py), prepared once per machine:
    quantized or compiled on the first start and kept in the compiled cache (`cache_dir`, else
    POLYPSCOPE_COMPILED_CACHE, else ~/.cache/polypscope/compiled), loaded from there on later starts.
    meta["fast_path"] says which path runs, how long preparing it took and why better paths were skipped.
    """
    path = Path(checkpoint)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    key = (str(path.resolve()), path.stat().st_mtime_ns, str(device), fast)
    with _CACHE_LOCK:
        if key not in _CACHE:
            model, meta = load_checkpoint(checkpoint)
            model = model.to(device).to(memory_format=torch.channels_last).eval()
            if fast:
                from inference.fastpath import prepare

                prepared = prepare(model, meta, device, cache_dir)
                model = prepared.model
                meta["fast_path"] = {
                    "path": prepared.path,
                    "description": prepared.description,
                    "seconds": round(prepared.seconds, 2),
                    "cached": prepared.cached,
                    "skipped": prepared.skipped,
                }
            _CACHE[key] = (model, meta)
        return _CACHE[key]


def drop_cached_models(keep: Iterable[Path | str] = ()) -> int:
    """Forget every cached model but those of the `keep` checkpoints (a worker switching to a newly promoted
    version frees the old one's memory); returns how many were dropped."""
    kept = {str(Path(p).resolve()) for p in keep}
    with _CACHE_LOCK:
        gone = [key for key in _CACHE if key[0] not in kept]
        for key in gone:
            del _CACHE[key]
    if gone and torch.cuda.is_available():
        torch.cuda.empty_cache()
    return len(gone)


def _compile(model: nn.Module, device: torch.device) -> nn.Module:
    """torch.compile with weights frozen into the graph (BN folded into convs)."""
    from inference.fastpath import compile_inductor

    return compile_inductor(model)


def fast_path_name(device: torch.device, meta: dict | None = None) -> str:
    """The fast path an engine runs (from its meta), or the one this device and CPU would try first."""
    if meta and "fast_path" in meta:
        return str(meta["fast_path"]["description"])
    from inference.fastpath import describe, preferred_paths

    return describe(preferred_paths(device)[0], device)


def resize_on_device(frames: list[np.ndarray], size: int, device: torch.device) -> torch.Tensor:
    """(H, W, 3) uint8 BGR frames of one size -> (N, 3, size, size) float RGB on `device`, 0..255: the uint8 frames
    are copied as they are and resized there, bilinear with antialiasing (the area average OpenCV's INTER_AREA takes
    when shrinking, to within a grey level; tests/inference/test_postprocess.py compares the masks)."""
    height, width = frames[0].shape[:2]
    # One copy on the host, straight into page-locked memory on CUDA (np.stack then pin_memory() would be two: 1.6 ms
    # of CPU a 1080p frame each, bench_pipeline --device-work free).
    batch = torch.empty((len(frames), height, width, 3), dtype=torch.uint8, pin_memory=device.type == "cuda")
    staged = batch.numpy()
    for i, frame in enumerate(frames):
        staged[i] = frame
    x = batch.to(device, non_blocking=True).permute(0, 3, 1, 2).flip(1).float()
    return F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False).clamp_(0, 255)


class Engine:
    """Batched SCR-Net inference over frames of any size."""

    def __init__(
        self,
        model: nn.Module,
        meta: dict,
        device: torch.device,
        threshold: float = 0.5,
        batch: int = 8,
        fast: bool = False,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold}")
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        self.model, self.meta, self.device = model, meta, device
        self.threshold, self.batch, self.fast = threshold, batch, fast
        self.size = int(meta.get("input_size", 448))
        # CUDA always runs in bf16/fp16; the CPU only on the fast path and only with native bf16.
        self.amp_dtype = autocast_dtype(device) if (fast or device.type == "cuda") else None
        self.version = str(meta.get("version", "unversioned"))
        # On the CPU the model runs one frame at a time: at 448 px a batch of 8 frames' activations
        # overflows the caches and ran at half the per-frame speed of batch 1 (measured, 2-core EPYC).
        self.model_batch = batch if device.type == "cuda" else 1
        mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1) * 255  # RGB, as in training
        std = torch.tensor(STD, device=device).view(1, 3, 1, 1) * 255
        self._mean, self._inv_std = mean, 1.0 / std

    @classmethod
    def from_checkpoint(
        cls,
        checkpoint: Path | str | None = None,
        device: str = "auto",
        threshold: float = 0.5,
        batch: int = 8,
        fast: bool = False,
        cache_dir: Path | str | None = None,
    ) -> Engine:
        """`cache_dir`: where the fast path's prepared model is kept between starts (see cached_model)."""
        path = Path(checkpoint) if checkpoint is not None else default_checkpoint()
        dev = pick_device(device)
        model, meta = cached_model(path, dev, fast, cache_dir)
        return cls(model, meta, dev, threshold=threshold, batch=batch, fast=fast)

    @torch.inference_mode()
    def predict_batch(self, frames: list[np.ndarray], start_index: int = 0) -> list[FrameResult]:
        """frames: list of (H, W, 3) uint8 BGR arrays, sizes may differ. Exact: each probability map bilinearly
        resized to its frame (inference/postprocess.py)."""
        if not frames:
            return []
        prob = postprocess.probabilities(self.forward(self.preprocess(frames)))  # (N, 1, s, s)
        return postprocess.exact_results(prob, [f.shape[:2] for f in frames], self.threshold, start_index)

    @torch.inference_mode()
    def predict_runs(self, frames: list[np.ndarray], start_index: int = 0) -> list[FrameRuns]:
        """The video pipeline's path: frames of one size in, score, area and the mask's run lengths at the frame's
        resolution out, computed on the engine's device (inference/postprocess.frame_runs; its masks match
        predict_batch's within postprocess.RUNS_TOLERANCE)."""
        if not frames:
            return []
        shapes = {f.shape[:2] for f in frames}
        if len(shapes) != 1:
            raise ValueError(f"predict_runs takes frames of one size, got {sorted(shapes)}")
        ((height, width),) = shapes
        prob = postprocess.probabilities(self.forward(self.preprocess(frames)))
        return postprocess.frame_runs(prob, height, width, self.threshold, start_index)

    def preprocess(self, frames: list[np.ndarray]) -> torch.Tensor:
        """(H, W, 3) uint8 BGR frames -> the network's (N, 3, s, s) normalised RGB input, channels_last, on the
        engine's device. On the CPU resized by OpenCV (INTER_AREA, as in training); on an accelerator, frames of one
        size are sent as they are and resized there (resize_on_device), which spares the host a pass over every
        pixel (at 1080p OpenCV's resize costs more CPU than decoding)."""
        s = self.size
        if self.device.type != "cpu" and len({f.shape for f in frames}) == 1:
            x = resize_on_device(frames, s, self.device)
        else:
            resized = np.stack([cv2.resize(f, (s, s), interpolation=cv2.INTER_AREA) for f in frames])
            # BGR frames, RGB network: flip the channel axis while moving to NCHW.
            x = torch.from_numpy(resized).to(self.device, non_blocking=True).permute(0, 3, 1, 2).flip(1).float()
        return ((x - self._mean) * self._inv_std).contiguous(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The network's logits (N, 1, s, s), in chunks of model_batch, under autocast where it applies."""
        with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None):
            return torch.cat([self.model(chunk) for chunk in x.split(self.model_batch)])

    def _result(self, index: int, prob: np.ndarray, score: float) -> FrameResult:
        return postprocess.result(index, prob, score, self.threshold)

    def run(self, frames: Iterable[np.ndarray]) -> Iterator[FrameResult]:
        """Results in frame order, computed batch by batch."""
        pending: list[np.ndarray] = []
        index = 0
        for frame in frames:
            pending.append(frame)
            if len(pending) == self.batch:
                yield from self.predict_batch(pending, index)
                index += len(pending)
                pending = []
        yield from self.predict_batch(pending, index)
