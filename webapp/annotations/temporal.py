"""Temporal inconsistency of a video's per-frame outputs (pure numpy): where the model is likely wrong while
confident. Neighbouring frames of a colonoscopy (10-30 fps) show nearly the same scene, so a mask that appears
or vanishes for one frame, or whose area jumps while the frames either side agree, is more likely the model's
error than the scene's change; such frames can score far from 0.5 and escape the low-confidence band.
"""

from __future__ import annotations

import numpy as np

# The mask threshold of the engine (inference.engine.Engine, threshold 0.5): a score across it means the mask
# appears or vanishes.
SCORE_THRESHOLD = 0.5
# An area jump: the frame's area differs from its neighbours' mean by more than half of the larger of the two
# (the mask halves or doubles for one frame), while the neighbours agree within a quarter of the larger.
AREA_JUMP = 0.5
AREA_AGREE = 0.25
# Areas (fractions of the frame) below this are outline noise, not a polyp: 0.1% of a frame is twice the
# smallest component the engine draws a box for (inference.engine.MIN_BOX_FRACTION, 0.05%).
MIN_AREA = 0.001


def temporal_inconsistency(scores: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """Per frame, how strongly it disagrees with both neighbours that agree with each other, 0..1 (0: not).

    scores, areas: (N,) per consecutive frame; score 0..1 (the engine's polyp score), area 0..1 (mask area
    as a fraction of the frame). The first and last frames have one neighbour and are never flagged.
    Strength: |score - neighbours' mean score| where the score crosses SCORE_THRESHOLD alone, and
    |area - neighbours' mean area| / the larger of the two where the area jumps alone; the larger of both.
    """
    scores = np.asarray(scores, dtype=np.float64)
    areas = np.asarray(areas, dtype=np.float64)
    if scores.shape != areas.shape or scores.ndim != 1:
        raise ValueError(f"scores {scores.shape} and areas {areas.shape} must be the same (N,) shape")
    strength = np.zeros(len(scores))
    if len(scores) < 3:
        return strength
    prev_s, here_s, next_s = scores[:-2], scores[1:-1], scores[2:]
    prev_on, here_on, next_on = (prev_s >= SCORE_THRESHOLD), (here_s >= SCORE_THRESHOLD), (next_s >= SCORE_THRESHOLD)
    flip = (prev_on == next_on) & (here_on != prev_on)
    flip_strength = np.where(flip, np.abs(here_s - (prev_s + next_s) / 2), 0.0)

    prev_a, here_a, next_a = areas[:-2], areas[1:-1], areas[2:]
    mean_a = (prev_a + next_a) / 2
    agree = np.abs(prev_a - next_a) <= AREA_AGREE * np.maximum(prev_a, next_a)
    larger = np.maximum(here_a, mean_a)
    change = np.abs(here_a - mean_a)
    jump = agree & (larger >= MIN_AREA) & (change > AREA_JUMP * larger)
    jump_strength = np.where(jump, change / np.where(larger > 0, larger, 1.0), 0.0)

    strength[1:-1] = np.maximum(flip_strength, jump_strength)
    return strength
