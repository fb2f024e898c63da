"""The promotion gate's math: is a retrained candidate better than the active model on the holdout?

Both models are scored per image on the same holdout frames (so the comparison is paired), the
per-image Dice differences get a bootstrap interval, and a rule decides: Dice must improve by a
margin, with an interval above zero, and no guarded metric may drop by more than a tolerance.
Pure numpy: the web app's gate runs it without torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from inference.metrics import image_metrics

# A gain or drop of exactly the margin must count as meeting it; float subtraction
# (0.81 - 0.80 = 0.010000000000000009, 0.57 - 0.56 = 0.009999999999999898) needs this slack.
FLOAT_SLACK = 1e-9

LABELS = {
    "dice": "holdout Dice",
    "iou": "holdout IoU",
    "se": "holdout sensitivity",
    "sp": "holdout specificity",
    "event_sensitivity": "event sensitivity",
    "base_test_dice": "Dice on the base test set",
}


def per_image_scores(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray]) -> list[dict[str, float]]:
    """metrics.image_metrics of each (H, W) prediction against its (H, W) ground truth, in order."""
    if len(preds) != len(gts):
        raise ValueError(f"{len(preds)} predictions for {len(gts)} ground-truth masks")
    return [image_metrics(p, g) for p, g in zip(preds, gts, strict=True)]


def group_means(values: Sequence[float], groups: Sequence[str]) -> dict[str, float]:
    """Mean of the values of each group (e.g. per-patient mean Dice), groups in order of first appearance."""
    if len(values) != len(groups):
        raise ValueError(f"{len(values)} values for {len(groups)} group labels")
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for v, g in zip(values, groups, strict=True):
        sums[g] = sums.get(g, 0.0) + float(v)
        counts[g] = counts.get(g, 0) + 1
    return {g: sums[g] / counts[g] for g in sums}


def paired_bootstrap(
    candidate: Sequence[float],
    active: Sequence[float],
    *,
    groups: Sequence[str] | None = None,
    samples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean of the paired per-image differences candidate - active, and its percentile bootstrap interval.

    Without groups, images are resampled with replacement. With groups (patient ids; frames of one
    patient are correlated, so they are not independent evidence) whole groups are resampled (a
    cluster bootstrap) and each resample's value is the mean over all frames it holds. With a single
    group every resample is that group, so the interval degenerates to the point (lo = hi = mean):
    one patient gives no evidence about the spread between patients.
    Deterministic for a seed. Returns {"mean", "lo", "hi", "samples"}.
    """
    c = np.asarray(candidate, dtype=np.float64)
    a = np.asarray(active, dtype=np.float64)
    if c.shape != a.shape or c.ndim != 1:
        raise ValueError(f"paired scores need two lists of the same length, got {c.shape} and {a.shape}")
    if c.size == 0:
        raise ValueError("no paired scores to compare")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    diffs = c - a
    rng = np.random.default_rng(seed)
    if groups is None:
        picks = rng.integers(0, diffs.size, size=(samples, diffs.size))
        means = diffs[picks].mean(axis=1)
    else:
        if len(groups) != diffs.size:
            raise ValueError(f"{len(groups)} group labels for {diffs.size} paired scores")
        _, label = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
        sums = np.bincount(label, weights=diffs)
        counts = np.bincount(label).astype(np.float64)
        picks = rng.integers(0, sums.size, size=(samples, sums.size))
        means = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    tail = (1 - confidence) / 2
    lo, hi = np.quantile(means, [tail, 1 - tail])
    return {"mean": float(diffs.mean()), "lo": float(lo), "hi": float(hi), "samples": int(samples)}


@dataclass(frozen=True)
class GateRule:
    """When a candidate may replace the active model; saved with every gate decision."""

    min_dice_gain: float = 0.01  # holdout Dice must improve by at least this (absolute)
    require_ci_above_zero: bool = True  # and the bootstrap interval of the gain must lie above zero
    max_drop: float = 0.01  # no guarded metric may drop by more than this (absolute)
    guarded: tuple[str, ...] = ("iou", "se", "sp", "event_sensitivity", "base_test_dice")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _label(name: str) -> str:
    return LABELS.get(name, name)


def gate_decide(
    rule: GateRule,
    candidate: dict[str, float | None],
    active: dict[str, float | None],
    dice_diff: dict[str, Any],
) -> tuple[bool, list[dict[str, Any]]]:
    """Apply the rule; returns (passed, checks), each check {"name", "passed", "skipped", "detail"}.

    candidate, active: metric name -> value, None where it was not measured ("dice" is required:
    without it the gain check fails; a guarded metric without a value is skipped and says so).
    dice_diff: paired_bootstrap of the per-image holdout Dice, candidate minus active.
    The decision passes when every check passes (skipped ones count as passed).
    """
    checks: list[dict[str, Any]] = []

    def add(name: str, passed: bool, detail: str, skipped: bool = False) -> None:
        checks.append({"name": name, "passed": passed, "skipped": skipped, "detail": detail})

    c, a = candidate.get("dice"), active.get("dice")
    if c is None or a is None:
        add("dice_gain", False, "holdout Dice was not measured for both models: the gate cannot pass without it")
    else:
        gain = c - a
        ok = gain >= rule.min_dice_gain - FLOAT_SLACK
        add(
            "dice_gain",
            ok,
            f"holdout Dice {c:.4f} against {a:.4f} for the active model: a gain of {gain:+.4f}, "
            f"{'meeting' if ok else 'short of'} the required {rule.min_dice_gain:+.4f}",
        )

    lo, hi = dice_diff["lo"], dice_diff["hi"]
    interval = f"[{lo:+.4f}, {hi:+.4f}] ({dice_diff['samples']} bootstrap samples)"
    if rule.require_ci_above_zero:
        ok = lo > 0
        add(
            "dice_interval",
            ok,
            f"the interval of the per-image Dice gain is {interval}: "
            + ("it lies above zero" if ok else "it does not lie above zero"),
        )
    else:
        add("dice_interval", True, f"the rule does not require it; the interval is {interval}", skipped=True)

    for name in rule.guarded:
        c, a = candidate.get(name), active.get(name)
        if c is None or a is None:
            which = "both models" if c is None and a is None else "the candidate" if c is None else "the active model"
            add(name, True, f"{_label(name)} was not measured for {which}: check skipped", skipped=True)
            continue
        drop = a - c
        ok = drop <= rule.max_drop + FLOAT_SLACK
        change = f"dropped by {drop:.4f}" if drop > 0 else f"changed by {-drop:+.4f}"
        add(
            name,
            ok,
            f"{_label(name)} {c:.4f} against {a:.4f} for the active model: {change}, "
            f"{'within' if ok else 'more than'} the {rule.max_drop:.4f} allowed",
        )
    return all(check["passed"] for check in checks), checks
