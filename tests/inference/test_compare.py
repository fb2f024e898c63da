"""The promotion gate's math: per-image scores, group means, the paired bootstrap and the rule."""

from __future__ import annotations

import numpy as np
import pytest

from inference.compare import GateRule, gate_decide, group_means, paired_bootstrap, per_image_scores

ACTIVE = {"dice": 0.80, "iou": 0.70, "se": 0.85, "sp": 0.98, "event_sensitivity": 0.90, "base_test_dice": 0.88}
# A bootstrap interval that lies above zero, for the checks that are not about it.
ABOVE_ZERO = {"mean": 0.02, "lo": 0.005, "hi": 0.035, "samples": 2000}


def _by_name(checks: list[dict]) -> dict[str, dict]:
    return {c["name"]: c for c in checks}


def test_per_image_scores_are_image_metrics_of_each_pair() -> None:
    gt = np.zeros((4, 4), bool)
    gt[:2, :2] = True  # 4 polyp pixels
    pred = np.zeros((4, 4), bool)
    pred[:2, :1] = True  # 2 of them found, no false alarm
    rows = per_image_scores([pred, gt], [gt, gt])
    # Dice 2*2 / (2 + 4) = 2/3, IoU 2/4, SE 2/4, SP 12/12; the perfect one scores 1 throughout.
    assert rows[0] == pytest.approx({"dice": 2 / 3, "iou": 0.5, "se": 0.5, "sp": 1.0})
    assert rows[1] == {"dice": 1.0, "iou": 1.0, "se": 1.0, "sp": 1.0}
    with pytest.raises(ValueError, match="2 predictions for 1"):
        per_image_scores([pred, gt], [gt])


def test_group_means_average_each_patients_frames_in_first_seen_order() -> None:
    means = group_means([0.9, 0.5, 0.7, 0.1], ["p2", "p1", "p2", "p1"])
    assert list(means) == ["p2", "p1"]
    assert means == pytest.approx({"p2": 0.8, "p1": 0.3})


def test_bootstrap_of_identical_lists_is_zero_zero_zero() -> None:
    scores = [0.9, 0.4, 0.75, 0.6]
    assert paired_bootstrap(scores, scores) == {"mean": 0.0, "lo": 0.0, "hi": 0.0, "samples": 2000}


def test_a_constant_gain_has_a_point_interval_at_that_gain() -> None:
    result = paired_bootstrap([0.52, 0.72, 0.92], [0.5, 0.7, 0.9], samples=200)
    assert result["mean"] == result["lo"] == result["hi"] == pytest.approx(0.02)


def test_cluster_bootstrap_of_one_patient_is_a_point_interval() -> None:
    result = paired_bootstrap([0.9, 0.5, 0.7], [0.6, 0.6, 0.6], groups=["p1", "p1", "p1"])
    # Differences +0.3, -0.1, +0.1: every resample is the whole patient, mean 0.1.
    assert result["mean"] == result["lo"] == result["hi"] == pytest.approx(0.1)


def test_two_image_bootstrap_spans_both_resample_extremes() -> None:
    # Differences 0 and 1: resample means are 0 (p 1/4), 0.5 (p 1/2) or 1 (p 1/4), so the
    # 2.5% and 97.5% percentiles are the extremes 0 and 1, around the mean 0.5.
    result = paired_bootstrap([0.5, 1.0], [0.5, 0.0])
    assert result == {"mean": 0.5, "lo": 0.0, "hi": 1.0, "samples": 2000}


def test_cluster_bootstrap_resamples_whole_patients_and_weights_by_frames() -> None:
    # Patient a: two frames, each +1; patient b: one frame, 0. Point estimate over frames: 2/3.
    # Resamples of two patients: {a, a} -> 4/4 = 1 (p 1/4), {a, b} -> 2/3 (p 1/2), {b, b} -> 0 (p 1/4).
    result = paired_bootstrap([1.0, 1.0, 0.0], [0.0, 0.0, 0.0], groups=["a", "a", "b"])
    assert result["mean"] == pytest.approx(2 / 3)
    assert (result["lo"], result["hi"]) == (0.0, 1.0)


def test_correlated_frames_widen_the_cluster_interval_to_the_patients_spread() -> None:
    # Patient a: 10 frames of +1, patient b: 10 frames of -1. Two patients resampled give
    # 1 ({a, a}, p 1/4), 0 ({a, b}, p 1/2) or -1 ({b, b}, p 1/4): the interval is [-1, 1].
    # Resampling the 20 frames as if independent: standard error 1 / sqrt(20) = 0.22, about +-0.44.
    diffs = [1.0] * 10 + [-1.0] * 10
    groups = ["a"] * 10 + ["b"] * 10
    clustered = paired_bootstrap(diffs, [0.0] * 20, groups=groups)
    assert (clustered["mean"], clustered["lo"], clustered["hi"]) == (0.0, -1.0, 1.0)
    frames = paired_bootstrap(diffs, [0.0] * 20)
    assert frames["lo"] == pytest.approx(-0.44, abs=0.07) and frames["hi"] == pytest.approx(0.44, abs=0.07)


def test_the_interval_width_matches_the_standard_error() -> None:
    # 400 differences of +1 and -1: mean 0, SD 1, standard error 1 / sqrt(400) = 0.05,
    # so the 95% interval is about +-1.96 * 0.05 = +-0.098.
    diffs = np.tile([1.0, -1.0], 200)
    result = paired_bootstrap(diffs, np.zeros(400), seed=3)
    assert result["mean"] == 0.0
    assert result["lo"] == pytest.approx(-0.098, abs=0.01)
    assert result["hi"] == pytest.approx(0.098, abs=0.01)


def test_the_bootstrap_is_deterministic_for_a_seed() -> None:
    rng = np.random.default_rng(1)
    cand, act = rng.random(30), rng.random(30)
    groups = [f"p{i % 5}" for i in range(30)]
    assert paired_bootstrap(cand, act, groups=groups, seed=7) == paired_bootstrap(cand, act, groups=groups, seed=7)
    assert paired_bootstrap(cand, act, seed=7) != paired_bootstrap(cand, act, seed=8)


def test_the_bootstrap_refuses_unpaired_lists() -> None:
    with pytest.raises(ValueError, match="same length"):
        paired_bootstrap([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match="group labels"):
        paired_bootstrap([0.1, 0.2], [0.1, 0.2], groups=["a"])


def test_a_gain_of_exactly_the_margin_passes() -> None:
    # 0.81 - 0.80 is 0.010000000000000009 in floats and 0.57 - 0.56 is 0.009999999999999898:
    # both are the margin exactly.
    for cand, act in ((0.81, 0.80), (0.57, 0.56)):
        passed, checks = gate_decide(GateRule(), {**ACTIVE, "dice": cand}, {**ACTIVE, "dice": act}, ABOVE_ZERO)
        assert passed, checks
        assert _by_name(checks)["dice_gain"]["passed"] is True


def test_a_gain_just_under_the_margin_fails() -> None:
    passed, checks = gate_decide(GateRule(), {**ACTIVE, "dice": 0.8099}, ACTIVE, ABOVE_ZERO)
    assert not passed
    gain = _by_name(checks)["dice_gain"]
    assert gain["passed"] is False
    assert "0.8099" in gain["detail"] and "+0.0099" in gain["detail"] and "+0.0100" in gain["detail"]


def test_an_interval_reaching_zero_fails_unless_the_rule_waives_it() -> None:
    better = {**ACTIVE, "dice": 0.83}
    touching = {"mean": 0.03, "lo": 0.0, "hi": 0.06, "samples": 2000}
    passed, checks = gate_decide(GateRule(), better, ACTIVE, touching)
    assert not passed and _by_name(checks)["dice_interval"]["passed"] is False
    passed, checks = gate_decide(GateRule(require_ci_above_zero=False), better, ACTIVE, touching)
    assert passed and _by_name(checks)["dice_interval"]["skipped"] is True


def test_a_guarded_drop_just_over_the_tolerance_fails_and_exactly_at_it_passes() -> None:
    better = {**ACTIVE, "dice": 0.83}
    passed, checks = gate_decide(GateRule(), {**better, "iou": 0.69}, ACTIVE, ABOVE_ZERO)  # drop 0.0100
    assert passed, checks
    passed, checks = gate_decide(GateRule(), {**better, "iou": 0.6899}, ACTIVE, ABOVE_ZERO)  # drop 0.0101
    assert not passed
    iou = _by_name(checks)["iou"]
    assert iou["passed"] is False and "0.0101" in iou["detail"] and "0.0100 allowed" in iou["detail"]
    assert all(c["passed"] for c in checks if c["name"] != "iou")


def test_a_metric_not_measured_is_skipped_and_says_so() -> None:
    better = {**ACTIVE, "dice": 0.83, "event_sensitivity": None}
    passed, checks = gate_decide(GateRule(), better, {**ACTIVE, "base_test_dice": None}, ABOVE_ZERO)
    assert passed
    by_name = _by_name(checks)
    assert [c["name"] for c in checks] == ["dice_gain", "dice_interval", "iou", "se", "sp", "event_sensitivity",
                                           "base_test_dice"]  # fmt: skip
    assert (
        by_name["event_sensitivity"]["skipped"]
        and "not measured for the candidate" in by_name["event_sensitivity"]["detail"]
    )
    assert by_name["base_test_dice"]["skipped"] and "the active model" in by_name["base_test_dice"]["detail"]


def test_without_holdout_dice_the_gate_fails() -> None:
    passed, checks = gate_decide(GateRule(), {**ACTIVE, "dice": None}, ACTIVE, ABOVE_ZERO)
    assert not passed and _by_name(checks)["dice_gain"]["passed"] is False
