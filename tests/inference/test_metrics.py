"""Per-image IoU, Dice, SE, SP against counts worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from inference.metrics import SegmentationMetrics, image_metrics


def test_image_metrics_match_hand_computed_counts() -> None:
    gt = np.zeros((4, 4), bool)
    gt[0:2, 0:3] = True  # 6 pixels: rows 0-1, cols 0-2
    pred = np.zeros((4, 4), bool)
    pred[0:3, 0:2] = True  # 6 pixels: rows 0-2, cols 0-1
    # tp = rows 0-1 x cols 0-1 = 4; fp = row 2 x cols 0-1 = 2; fn = rows 0-1 x col 2 = 2;
    # tn = 16 - 4 - 2 - 2 = 8.
    # IoU = 4 / (4+2+2) = 0.5; Dice = 8 / (8+2+2) = 2/3; SE = 4 / (4+2) = 2/3; SP = 8 / (8+2) = 0.8
    m = image_metrics(pred, gt)
    assert m["iou"] == pytest.approx(0.5)
    assert m["dice"] == pytest.approx(2 / 3)
    assert m["se"] == pytest.approx(2 / 3)
    assert m["sp"] == pytest.approx(0.8)


def test_image_metrics_treat_nonzero_values_as_foreground() -> None:
    gt = np.array([[255, 255], [0, 0]], np.uint8)
    pred = np.array([[1, 0], [0, 0]], np.uint8)
    # tp = 1, fp = 0, fn = 1, tn = 2: IoU = 1/2, Dice = 2/3, SE = 1/2, SP = 2/2
    assert image_metrics(pred, gt) == pytest.approx({"iou": 0.5, "dice": 2 / 3, "se": 0.5, "sp": 1.0})


def test_empty_prediction_on_empty_ground_truth_scores_one_everywhere() -> None:
    empty = np.zeros((5, 7), bool)
    assert image_metrics(empty, empty) == {"iou": 1.0, "dice": 1.0, "se": 1.0, "sp": 1.0}


def test_false_alarm_on_empty_ground_truth_scores_zero_overlap_and_full_sensitivity() -> None:
    gt = np.zeros((4, 4), bool)
    pred = gt.copy()
    pred[1, 1] = True
    # tp = 0, fp = 1, fn = 0, tn = 15: IoU = Dice = 0/1 = 0; SE = 0/0 -> 1 (nothing to miss); SP = 15/16
    m = image_metrics(pred, gt)
    assert m["iou"] == 0.0
    assert m["dice"] == 0.0
    assert m["se"] == 1.0
    assert m["sp"] == pytest.approx(15 / 16)


def test_missed_polyp_scores_zero_overlap_and_zero_sensitivity() -> None:
    gt = np.zeros((4, 4), bool)
    gt[0, :2] = True
    # tp = 0, fp = 0, fn = 2, tn = 14: IoU = Dice = SE = 0; SP = 14/14 = 1
    assert image_metrics(np.zeros_like(gt), gt) == {"iou": 0.0, "dice": 0.0, "se": 0.0, "sp": 1.0}


def test_image_metrics_reject_a_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="shape"):
        image_metrics(np.zeros((4, 4), bool), np.zeros((4, 5), bool))


def test_segmentation_metrics_average_per_image_not_pooled_pixels() -> None:
    metrics = SegmentationMetrics()
    # Image A, 2x2: one polyp pixel, found exactly -> Dice 1, IoU 1.
    a = np.zeros((2, 2), bool)
    a[0, 0] = True
    metrics.update(a, a)
    # Image B, 10x10: a 50-pixel polyp, nothing predicted -> Dice 0, IoU 0.
    b_gt = np.zeros((10, 10), bool)
    b_gt[:5] = True
    metrics.update(np.zeros_like(b_gt), b_gt)
    result = metrics.aggregate()
    # Per image: Dice (1 + 0) / 2 = 0.5. Pooled pixels would give 2*1 / (2*1 + 0 + 50) = 0.038.
    assert result["dice"] == pytest.approx(0.5)
    assert result["iou"] == pytest.approx(0.5)
    assert result["se"] == pytest.approx(0.5)
    assert result["sp"] == pytest.approx(1.0)
    assert result["n"] == 2


def test_segmentation_metrics_update_returns_the_row_it_scored() -> None:
    metrics = SegmentationMetrics()
    gt = np.ones((3, 3), bool)
    row = metrics.update(gt, gt)
    assert row == {"iou": 1.0, "dice": 1.0, "se": 1.0, "sp": 1.0}
    assert metrics.rows == [row]


def test_aggregate_of_nothing_raises() -> None:
    with pytest.raises(ValueError, match="no images"):
        SegmentationMetrics().aggregate()
