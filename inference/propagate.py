"""Mask propagation: a person's mask of one frame carried to its neighbours by dense optical flow, fused with the
model's probability map of each neighbour.

    walk = propagate(frames, key_mask, priors)      # frames[0] is the corrected keyframe
    walk.soft[i], walk.stop_reason

`frames` run outward from the keyframe in one direction (forward: key, key+1, ...; backward: key, key-1, ...).
Each step warps the previous frame's mask onto the next frame with OpenCV's DIS optical flow (computed from
the next frame back to the previous one, so every target pixel looks up where it came from), then fuses it with
the model's probability map of that frame, so the proposal follows the polyp's edge where the flow drifts:

    fused = w * warped + (1 - w) * prior   (both soft maps, 0..1; the proposal is fused >= 0.5)

where the prior only counts within `reach` pixels of the warped mask (the model's other detections are not
this polyp) and only when it overlaps the warped mask (a model that misses the polyp must not erase it).
Soft masks are logistic functions of the signed distance to the edge, so on binary inputs the fusion is a
weighted average of the two edges. A walk stops at a scene change (the frames' colour histograms differ), at
low flow consistency (forward and backward flow disagree over the mask) or after `max_frames`.

Two walks that meet (between two corrected keyframes) are blended by distance with `blend`.
Never imports Django: the web app's worker calls it with decoded frames and stored predictions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

# Flow is computed on frames scaled so their longer side is at most this many pixels: DIS at 320 px takes
# about 2 ms a pair on one core and the masks are smooth at that scale (CVC-ColonDB frames are 574x500).
FLOW_SIDE = 320
# Logistic steepness of a soft mask, in pixels of signed distance: 0.12 at 2 px outside an edge, 0.88 inside.
SOFT_PX = 1.0
# Stop rules (chosen on CVC-ColonDB clips, see the README's measurement):
SCENE_CHANGE_CORR = 0.5   # HSV histogram correlation between neighbours below this: another scene
MIN_CONSISTENCY = 0.5     # share of mask pixels whose forward-backward flow error is under CONSISTENT_PX
CONSISTENT_PX = 3.0       # at FLOW_SIDE scale
MIN_PRIOR_OVERLAP = 0.3   # IoU of the prior's local mask and the warped mask below this: ignore the prior


@dataclass(frozen=True)
class PropagationConfig:
    max_frames: int = 25
    flow_weight: float = 0.5   # w above: the warped mask's weight against the model's prior
    reach_px: int = 24         # the prior counts within this distance of the warped mask (frame pixels)
    anchor_px: int = 64        # where the flow is lost, the model's mask within this distance takes over
    check_scene: bool = True
    check_consistency: bool = True


@dataclass
class Walk:
    """The proposals of one direction: soft[i] (H, W float32, 0..1) for frames[i + 1], i.e. step i + 1."""

    soft: list[np.ndarray] = field(default_factory=list)
    consistency: list[float] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # per proposal: "flow", "flow+model" or "model"
    stop_reason: str = "limit"   # "limit" | "scene_change" | "low_consistency" | "end"

    def masks(self) -> list[np.ndarray]:
        return [s >= 0.5 for s in self.soft]


def soft_mask(mask: np.ndarray, px: float = SOFT_PX) -> np.ndarray:
    """(H, W) bool -> (H, W) float32: a logistic function of the signed distance to the mask's edge."""
    m = mask.astype(np.uint8)
    if not m.any():
        return np.zeros(m.shape, np.float32)
    if m.all():
        return np.ones(m.shape, np.float32)
    inside = cv2.distanceTransform(m, cv2.DIST_L2, 3)
    outside = cv2.distanceTransform(1 - m, cv2.DIST_L2, 3)
    # -0.5 / +0.5: a pixel's distance is to the nearest pixel centre across the edge, the edge lies halfway.
    signed = np.where(m > 0, inside - 0.5, 0.5 - outside)
    return (1.0 / (1.0 + np.exp(-np.clip(signed / px, -30, 30)))).astype(np.float32)


def prior_from_mask(mask: np.ndarray) -> np.ndarray:
    """A stored binary prediction as a probability map (the workers keep masks, not probabilities)."""
    return soft_mask(mask)


class _Flow:
    def __init__(self, shape: tuple[int, int]) -> None:
        h, w = shape
        self.scale = min(1.0, FLOW_SIDE / max(h, w))
        self.small = (max(8, round(w * self.scale)), max(8, round(h * self.scale)))
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        sw, sh = self.small
        self.grid = np.stack(np.meshgrid(np.arange(sw, dtype=np.float32), np.arange(sh, dtype=np.float32)), -1)

    def gray(self, frame: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(cv2.resize(frame, self.small, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)

    def pair(self, prev: np.ndarray, nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(backward flow next -> prev, forward flow prev -> next), (h, w, 2) at the small scale."""
        return self.dis.calc(nxt, prev, None), self.dis.calc(prev, nxt, None)


def _histogram(frame: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(cv2.resize(frame, (64, 64), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [16, 8], [0, 180, 0, 256])
    return cv2.normalize(hist, hist).flatten()


def _consistency(back: np.ndarray, fwd: np.ndarray, grid: np.ndarray, region: np.ndarray) -> float:
    """Share of `region` (small-scale bool) where following the backward flow, then the forward flow, returns
    within CONSISTENT_PX of the start."""
    if not region.any():
        return 1.0
    there = grid + back
    fwd_there = cv2.remap(fwd, there[..., 0], there[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    error = np.linalg.norm(back + fwd_there, axis=-1)
    return float((error[region] < CONSISTENT_PX).mean())


def propagate(
    frames: Sequence[np.ndarray],
    key_mask: np.ndarray,
    priors: Sequence[np.ndarray | None] | None = None,
    config: PropagationConfig = PropagationConfig(),
    on_step: Callable[[int], None] | None = None,
) -> Walk:
    """Carry key_mask (H, W bool, of frames[0]) through frames[1:] (each (H, W, 3) uint8 BGR).

    priors[i]: the model's probability map (H, W float, 0..1) of frames[i], or None (flow alone); priors[0] is
    unused. Returns at most min(len(frames) - 1, config.max_frames) proposals, fewer when a stop rule fires.
    on_step(n) is called after each proposal with the number made so far (progress).
    """
    if not frames:
        raise ValueError("no frames: frames[0] must be the keyframe")
    h, w = frames[0].shape[:2]
    if key_mask.shape != (h, w):
        raise ValueError(f"the key mask is {key_mask.shape[1]}x{key_mask.shape[0]}, the frames {w}x{h}")
    flow = _Flow((h, w))
    walk = Walk()
    current = soft_mask(key_mask.astype(bool))
    prev_gray, prev_hist = flow.gray(frames[0]), _histogram(frames[0]) if config.check_scene else None
    reach, anchor = config.reach_px, config.anchor_px
    for step in range(1, len(frames)):
        if step > config.max_frames:
            walk.stop_reason = "limit"
            return walk
        frame = frames[step]
        if frame.shape[:2] != (h, w):
            raise ValueError(f"frame {step} is {frame.shape[1]}x{frame.shape[0]}, the keyframe {w}x{h}")
        # Read per step, so a caller may compute priors lazily for the frames a walk reaches.
        prior = priors[step] if priors is not None and step < len(priors) else None
        if prior is not None and prior.shape != (h, w):
            size = "x".join(str(n) for n in reversed(prior.shape))
            raise ValueError(f"the prior of frame {step} is {size}, the frames {w}x{h}")
        if config.check_scene:
            hist = _histogram(frame)
            if cv2.compareHist(prev_hist, hist, cv2.HISTCMP_CORREL) < SCENE_CHANGE_CORR:
                walk.stop_reason = "scene_change"
                return walk
            prev_hist = hist
        gray = flow.gray(frame)
        back, fwd = flow.pair(prev_gray, gray)
        small_prev = cv2.resize(current, flow.small, interpolation=cv2.INTER_LINEAR)
        there = flow.grid + back
        small_warped = cv2.remap(small_prev, there[..., 0], there[..., 1], cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        consistency = _consistency(back, fwd, flow.grid, small_warped >= 0.5)
        warped_mask = cv2.resize(small_warped, (w, h), interpolation=cv2.INTER_LINEAR) >= 0.5
        if warped_mask.any() and consistency >= MIN_CONSISTENCY or not config.check_consistency:
            # Back to full size, re-sharpened: resizing blurs the edge; the soft mask of the binary keeps it steady.
            current = _fuse(soft_mask(warped_mask), prior, reach, config.flow_weight)
            walk.sources.append("flow+model" if prior is not None else "flow")
        else:
            # The flow lost the polyp (a jump, blur, a new view): re-anchor on the model's mask where it lies
            # within reach of where the polyp was, or stop when the model sees nothing there either.
            anchored = _near(prior, (current >= 0.5) | warped_mask, anchor) if prior is not None else None
            if anchored is None:
                walk.stop_reason = "low_consistency"
                return walk
            current = anchored
            walk.sources.append("model")
        walk.soft.append(current)
        walk.consistency.append(round(consistency, 4))
        prev_gray = gray
        if on_step is not None:
            on_step(len(walk.soft))
    walk.stop_reason = "end"
    return walk


def _fuse(warped: np.ndarray, prior: np.ndarray | None, reach: int, flow_weight: float) -> np.ndarray:
    if prior is None:
        return warped
    near = _within(warped >= 0.5, reach)
    local = np.where(near, prior.astype(np.float32), 0.0)
    a, b = warped >= 0.5, local >= 0.5
    union = np.logical_or(a, b).sum()
    if union == 0 or np.logical_and(a, b).sum() / union < MIN_PRIOR_OVERLAP:
        return warped  # the model misses this polyp here (or sees something else): keep the flow's mask
    return (flow_weight * warped + (1.0 - flow_weight) * local).astype(np.float32)


def _within(mask: np.ndarray, radius: int) -> np.ndarray:
    """Pixels within `radius` of the mask (a dilation by a disk; one distance transform costs ~1 ms at 574x500
    where a 129-pixel elliptical dilation cost ~35 ms)."""
    if not mask.any():
        return mask.astype(bool)
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) <= radius


def _near(prior: np.ndarray, where: np.ndarray, radius: int) -> np.ndarray | None:
    """The prior's connected components that come within the disk of `where`, as a soft mask; None if none."""
    mask = (prior >= 0.5).astype(np.uint8)
    n, labels = cv2.connectedComponents(mask)
    if n <= 1:
        return None
    near = _within(where, radius)
    hit = np.unique(labels[near & (mask > 0)])
    if hit.size == 0:
        return None
    return np.where(np.isin(labels, hit), prior, 0.0).astype(np.float32)


def blend(from_start: np.ndarray, from_end: np.ndarray, d_start: int, d_end: int) -> np.ndarray:
    """Between two keyframes: the two walks' soft masks of one frame, weighted by closeness (d_*: steps from
    each keyframe, both >= 1). Returns the blended soft mask."""
    total = d_start + d_end
    return ((d_end / total) * from_start + (d_start / total) * from_end).astype(np.float32)
