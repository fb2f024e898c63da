"""The benchmark's engine whose model costs nothing: `manage.py bench_pipeline --engine stub` measures the pipeline's
own ceiling with it (decoding, preprocessing, post-processing, RLE, storage, events, progress, the websocket).

It is the real Engine (inference/engine.py: the same preprocessing, post-processing and outputs) around a model
that returns precomputed logits: a polyp-like blob that moves across the frame and comes and goes (visible for
VISIBLE of every CYCLE frames), so the masks, their RLE and the events are of a real video's kind.

device_work="cpu" (default): the work an accelerator does in a GPU worker (resize, normalise, threshold, score, run
boundaries) runs here, on the CPU, for real. device_work="free": it costs nothing either (the outputs of the cycle
are computed once and served again), and only the host's own work remains: stacking the frames for the copy to the
device, packing RLE, storage, events, progress. That is the ceiling of a GPU worker's host.

Only bench_pipeline imports this module: the leading underscore keeps Django from listing it as a command, and
tests/webapp/videos/test_stub_engine_isolation.py proves that nothing else under webapp/ imports it (a worker that
stored a stub's masks as a model's would be a silent disaster).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from inference import postprocess
from inference.engine import Engine, FrameRuns
from webapp.videos.stages import NO_CLOCK, Clock

# A blob visible for VISIBLE frames of every CYCLE (2 s of 4 at 25 fps: events of 2 s, gaps of 2 s).
CYCLE = 100
VISIBLE = 50
STUB_VERSION = "stub (no model)"


class StubModel:
    """Callable like the network: (N, 3, s, s) in, (N, 1, s, s) logits out, a view into a precomputed bank."""

    def __init__(self, size: int, batch: int) -> None:
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
        bank = np.full((CYCLE + batch, 1, size, size), -6.0, np.float32)
        for i in range(CYCLE + batch):
            t = i % CYCLE
            if t < VISIBLE:  # a disk of radius ~0.12 frame widths drifting to the right, peak logit 6
                cy, cx = 0.45, 0.3 + 0.4 * t / VISIBLE
                bank[i, 0] = 6.0 - ((yy - cy) ** 2 + (xx - cx) ** 2) / 0.0025
        self.bank = torch.from_numpy(bank)
        self.calls = 0  # frames served

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        start = self.calls % CYCLE
        self.calls += n
        return self.bank[start : start + n]


class StubEngine(Engine):
    """Engine with StubModel; predict_runs times its parts on `clock` (preprocess, model, postprocess)."""

    def __init__(self, size: int = 448, batch: int = 16, clock: Clock = NO_CLOCK, device_work: str = "cpu") -> None:
        if device_work not in ("cpu", "free"):
            raise ValueError(f"device_work is cpu or free, got {device_work!r}")
        super().__init__(StubModel(size, batch), {"input_size": size, "version": STUB_VERSION},
                         torch.device("cpu"), batch=batch)
        self.clock, self.device_work = clock, device_work
        self._served: dict[tuple[int, int], list[FrameRuns]] = {}

    @torch.inference_mode()
    def predict_runs(self, frames: list[np.ndarray], start_index: int = 0) -> list[FrameRuns]:
        if not frames:
            return []
        height, width = frames[0].shape[:2]
        if self.device_work == "free":
            return self._free(frames, height, width, start_index)
        with self.clock.stage("preprocess"):
            x = self.preprocess(frames)
        with self.clock.stage("model"):
            logits = self.forward(x)
        with self.clock.stage("postprocess"):
            return postprocess.frame_runs(postprocess.probabilities(logits), height, width, self.threshold,
                                          start_index)

    def _free(self, frames: list[np.ndarray], height: int, width: int, start_index: int) -> list[FrameRuns]:
        """The host's share only: the frames stacked for the copy to a device; the device's outputs served again."""
        if (height, width) not in self._served:  # once, not timed: what the device would compute
            logits = self.model.bank[:CYCLE]
            self._served[(height, width)] = [
                r for chunk in logits.split(self.batch)
                for r in postprocess.frame_runs(postprocess.probabilities(chunk), height, width, self.threshold, 0)]
        with self.clock.stage("upload"):
            np.stack(frames)
        with self.clock.stage("postprocess"):
            served, first = self._served[(height, width)], self.model.calls
            self.model.calls += len(frames)
            return [replace(served[(first + i) % CYCLE], index=start_index + i, rle="") for i in range(len(frames))]
