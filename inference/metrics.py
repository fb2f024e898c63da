"""Per-image segmentation metrics, averaged over images as in the paper (mean IoU, Dice, SE, SP).

Conventions, for a prediction P and ground truth G (sets of foreground pixels):
    IoU  = |P & G| / |P | G|
    Dice = 2 |P & G| / (|P| + |G|)
    SE   = |P & G| / |G|             (sensitivity, recall)
    SP   = |~P & ~G| / |~G|          (specificity)
Empty-mask case: a ratio whose denominator is zero means both sides are empty
(for example no polyp and no prediction: IoU = Dice = SE = 1), so it scores 1.
A false alarm on an empty ground truth scores IoU = Dice = 0, and SE = 1
since there was nothing to miss.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NAMES = ("iou", "dice", "se", "sp")


def _ratio(num: int, den: int, empty: float = 1.0) -> float:
    return num / den if den else empty


def image_metrics(pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    """Metrics of one image. pred, gt: (H, W) arrays, truthy = polyp."""
    if pred.shape != gt.shape:
        raise ValueError(f"prediction shape {pred.shape} differs from ground truth shape {gt.shape}")
    p = np.asarray(pred, dtype=bool)
    g = np.asarray(gt, dtype=bool)
    tp = int(np.count_nonzero(p & g))
    fp = int(np.count_nonzero(p & ~g))
    fn = int(np.count_nonzero(~p & g))
    tn = p.size - tp - fp - fn
    iou = _ratio(tp, tp + fp + fn)
    dice = _ratio(2 * tp, 2 * tp + fp + fn)
    se = _ratio(tp, tp + fn)
    sp = _ratio(tn, tn + fp)
    return {"iou": iou, "dice": dice, "se": se, "sp": sp}


@dataclass
class SegmentationMetrics:
    """Accumulates per-image metrics; `aggregate` averages them (MONAI DiceMetric style)."""

    rows: list[dict[str, float]] = field(default_factory=list)

    def update(self, pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
        row = image_metrics(pred, gt)
        self.rows.append(row)
        return row

    def aggregate(self) -> dict[str, float]:
        if not self.rows:
            raise ValueError("no images were scored")
        return {name: float(np.mean([r[name] for r in self.rows])) for name in NAMES} | {"n": len(self.rows)}
