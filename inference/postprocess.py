"""Post-processing of the network's output: probabilities, scores, masks, areas and boxes per frame.

Two paths over the same probabilities (N, 1, s, s) at the model's resolution s x s:

- exact (Engine.predict_batch: evaluation, stills, the CLI): the probability map bilinearly resized to each
  frame's own size, thresholded there, boxes from its connected components. Costs a pass over every pixel of
  every frame on the CPU (at 1080p about 8 ms a frame for the resize alone, on the 2-core dev machine).
- runs (Engine.predict_runs: the video pipeline): thresholded at the model's resolution, mapped to the frame
  by nearest-neighbour (pixel centres: `nearest-exact`), and only the mask's run boundaries at the frame's
  resolution are computed, in torch on the engine's device, for a whole batch at once; the host receives a
  few hundred integers per frame and packs the COCO RLE string (webapp/videos/rle.encode_counts). Its masks
  differ from the exact path's only along mask edges: RUNS_TOLERANCE says how much (tests/inference/
  test_postprocess.py checks it, and that the runs are exactly those of the mask they describe).

Both share the score: the peak of the 3 x 3 box-filtered probability (as in training's evaluation).
Pure torch / NumPy / OpenCV; no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import torch
import torch.nn.functional as F

# Connected components smaller than this fraction of the frame get no box:
# 0.05% of a 448 x 448 frame is about 100 pixels, below the smallest Kvasir-SEG
# polyp (0.5% of a frame).
MIN_BOX_FRACTION = 0.0005

# How far the runs path's masks may lie from the exact path's (measured on polyp-like blobs and on the
# shipped model's ColonDB masks; tests/inference/test_postprocess.py): pixels that differ all lie on the mask's
# edge, within one model pixel of it (a frame pixel of 574 x 500 is 0.8 model pixels), and a polyp's area moves by
# under 1% of itself.
RUNS_TOLERANCE = {"edge_px": 1, "area_rel": 0.01}


@dataclass
class FrameResult:
    """One frame's output at the frame's own resolution (H, W)."""

    index: int
    prob: np.ndarray  # (H, W) float32 polyp probability, 0..1
    mask: np.ndarray  # (H, W) bool, prob >= threshold
    score: float  # polyp score of the frame: peak of the 3x3-smoothed probability, 0..1
    area: float  # mask area as a fraction of the frame, 0..1
    boxes: list[list[int]] = field(default_factory=list)  # [x, y, w, h] per component, pixels

    def summary(self) -> dict:
        return {"index": self.index, "score": round(self.score, 5), "area": round(self.area, 6), "boxes": self.boxes}


@dataclass
class FrameRuns:
    """One frame's output for storage: its mask as run lengths at the frame's resolution (the video pipeline)."""

    index: int
    score: float  # as FrameResult.score
    area: float  # mask area as a fraction of the frame, 0..1
    height: int
    width: int
    counts: np.ndarray  # int64 run lengths over the (height, width) mask in column-major order, first run zeros
    rle: str = ""  # the same runs as a COCO RLE string, once the host packed them (webapp/videos/rle.encode_counts)

    @property
    def mask(self) -> np.ndarray:
        """(height, width) bool, decoded from the runs (tests, and callers that want pixels)."""
        values = np.zeros(len(self.counts), dtype=bool)
        values[1::2] = True
        return np.repeat(values, self.counts).reshape((self.height, self.width), order="F")


def probabilities(logits: torch.Tensor) -> torch.Tensor:
    """(N, 1, s, s) logits of any float dtype -> float32 probabilities, on their device."""
    return torch.sigmoid(logits.float())


def scores(prob: torch.Tensor) -> torch.Tensor:
    """(N, 1, s, s) -> (N,): the peak of the 3 x 3 mean (zero padded) of each frame's probability.

    The box sum is taken as two 3-tap sums, rows then columns: the same value as avg_pool2d(prob, 3, 1, 1) to
    float32 rounding (1e-7), at a quarter of its cost on the CPU (0.42 vs 1.7 ms a 448 x 448 frame, 2-core dev
    machine)."""
    padded = F.pad(prob[:, 0], (1, 1, 1, 1))
    rows = padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]
    return (rows[:, :, :-2] + rows[:, :, 1:-1] + rows[:, :, 2:]).amax(dim=(1, 2)) / 9


def exact_results(prob: torch.Tensor, shapes: list[tuple[int, int]], threshold: float,
                  start_index: int) -> list[FrameResult]:
    """The exact path: every frame's probability bilinearly resized to its (H, W), thresholded, boxed."""
    frame_scores = scores(prob).cpu().numpy()
    if len(set(shapes)) == 1:  # one resize for the whole batch (videos)
        full = F.interpolate(prob, size=shapes[0], mode="bilinear", align_corners=False)[:, 0].cpu().numpy()
        probs = list(full)
    else:
        probs = [F.interpolate(prob[i : i + 1], size=hw, mode="bilinear", align_corners=False)[0, 0].cpu().numpy()
                 for i, hw in enumerate(shapes)]
    return [result(start_index + i, p, float(frame_scores[i]), threshold) for i, p in enumerate(probs)]


def result(index: int, prob: np.ndarray, score: float, threshold: float) -> FrameResult:
    """One frame's FrameResult from its (H, W) probability map."""
    mask = prob >= threshold
    boxes: list[list[int]] = []
    if mask.any():
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=8)
        min_area = MIN_BOX_FRACTION * mask.size
        boxes = [[int(v) for v in stats[i, :4]] for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_area]
    return FrameResult(index, prob.astype(np.float32, copy=False), mask, score, float(mask.mean()), boxes)


def nearest_index(size: int, source: int) -> np.ndarray:
    """For each of `size` output pixels, the source pixel (of `source`) whose centre is nearest: floor((i + 0.5) *
    source / size), torch's `nearest-exact` computed in float64 (torch's float32 scale moves a rare pixel)."""
    return np.minimum(((np.arange(size) + 0.5) * source / size).astype(np.int64), source - 1)


def frame_runs(prob: torch.Tensor, height: int, width: int, threshold: float,
               start_index: int) -> list[FrameRuns]:
    """The runs path for a batch of frames of one size (H, W): score, area and the run lengths of each frame's mask
    `prob >= threshold` taken at the model's resolution and mapped to (H, W) by nearest-exact.

    On the device: the threshold, the score, and the positions (in the column-major order of the H x W frame)
    where the mask changes value; one transfer to the host of those positions, sorted. On the host: their
    differences, the run lengths. The mask at the frame's resolution is never materialised."""
    device = prob.device
    n, s_h, s_w = prob.shape[0], prob.shape[2], prob.shape[3]
    frame_scores = scores(prob)
    ry, cx = nearest_index(height, s_h), nearest_index(width, s_w)
    rows, first_y = np.unique(ry, return_index=True)  # the source rows the frame samples, and where each starts
    cols, col_first, col_reps = np.unique(cx, return_index=True, return_counts=True)
    mask = prob[:, 0] >= threshold  # (N, s_h, s_w)
    if len(rows) < s_h:
        mask = mask[:, torch.from_numpy(rows).to(device)]
    if len(cols) < s_w:
        mask = mask[:, :, torch.from_numpy(cols).to(device)]
    pixels = height * width
    col_x0 = torch.from_numpy(col_first).to(device)  # first frame column of each sampled source column
    reps = torch.from_numpy(col_reps).to(device)  # frame columns per sampled source column
    # Changes down each column: between sampled rows k-1 and k, at frame row first_y[k].
    frame, k, j = (mask[:, 1:] != mask[:, :-1]).nonzero(as_tuple=True)
    y = torch.from_numpy(first_y).to(device)[k + 1]
    copies = reps[j]  # a source column shown in several frame columns changes in each of them
    which = torch.repeat_interleave(torch.arange(len(j), device=device), copies)
    offset = torch.arange(len(which), device=device) - torch.repeat_interleave(torch.cumsum(copies, 0) - copies,
                                                                               copies)
    x = col_x0[j[which]] + offset
    inner = frame[which] * pixels + x * height + y[which]
    # Changes between columns: the value at the top of frame column x differs from the bottom of column x - 1; a mask
    # whose first pixel is set starts with a change at 0 (its first run of zeros is empty).
    jx = torch.from_numpy(np.repeat(np.arange(len(cols)), col_reps)).to(device)  # frame column -> sampled column
    top, bottom = mask[:, 0, jx], mask[:, -1, jx]  # (N, W)
    starts = torch.cat([top[:, :1], top[:, 1:] != bottom[:, :-1]], dim=1)
    sf, sx = starts.nonzero(as_tuple=True)
    edges = torch.sort(torch.cat([inner, sf * pixels + sx * height])).values
    per_frame = torch.bincount(torch.div(edges, pixels, rounding_mode="floor"), minlength=n)
    edges, per_frame, frame_scores = edges.cpu().numpy(), per_frame.cpu().numpy(), frame_scores.cpu().numpy()
    out: list[FrameRuns] = []
    begin = 0
    for i in range(n):
        end = begin + int(per_frame[i])
        bounds = np.empty(end - begin + 2, dtype=np.int64)
        bounds[0], bounds[-1] = 0, pixels
        bounds[1:-1] = edges[begin:end] - i * pixels
        counts = np.diff(bounds)
        out.append(FrameRuns(start_index + i, float(frame_scores[i]), float(counts[1::2].sum()) / pixels,
                             height, width, counts))
        begin = end
    return out
