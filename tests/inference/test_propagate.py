"""Mask propagation (inference/propagate.py) on synthetic frames: a textured disk that moves a few pixels a frame
over a textured wall, the model's prior fused or ignored, the stop rules, `blend` and `soft_mask`.

The scenes are small (160 x 200, under FLOW_SIDE, so the flow runs at full size) and each walk takes a few
tens of milliseconds. The wall's texture is weak next to the disk's (as mucosa next to a polyp's surface): DIS
smooths the flow across a motion boundary, so over a strongly textured static wall a flow-only mask lags the
disk and grows at its trailing edge (Dice about 0.67 after 8 steps of (4, 2) px), which the fusion test below
shows the model's prior corrects.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inference.metrics import image_metrics
from inference.propagate import PropagationConfig, blend, propagate, soft_mask

H, W = 160, 200
START = (60, 70)  # the disk's centre (x, y) in the keyframe
RADIUS = 24
WALL, DISK, OTHER = (90, 110, 170), (60, 160, 220), (120, 200, 60)  # BGR tints: pink wall, orange disk, green


def _texture(h: int, w: int, seed: int, tint: tuple[int, int, int], amplitude: float) -> np.ndarray:
    """(h, w, 3) uint8: a tint plus smooth blobs (noise on an 8-px grid, upsampled) and a little fine grain."""
    rng = np.random.default_rng(seed)
    blobs = cv2.resize(rng.normal(0, 1, (h // 8, w // 8, 3)).astype(np.float32), (w, h),
                       interpolation=cv2.INTER_CUBIC)
    grain = rng.normal(0, 0.4, (h, w, 3)).astype(np.float32)
    return np.clip(np.float32(tint) + amplitude * (blobs + grain), 0, 255).astype(np.uint8)


def _disk(center: tuple[int, int], radius: int = RADIUS) -> np.ndarray:
    mask = np.zeros((H, W), np.uint8)
    cv2.circle(mask, center, radius, 1, -1)
    return mask > 0


def _scene(steps: int, velocity: tuple[int, int], wall_amplitude: float = 10.0) -> tuple[list[np.ndarray],
                                                                                            list[np.ndarray]]:
    """Frames 0..steps of a textured disk moving by `velocity` (x, y) px a frame over a still textured wall, and
    the disk's true mask in each. The disk's texture moves with it (a polyp's surface), so the flow can see it."""
    wall = _texture(H, W, 0, WALL, wall_amplitude)
    surface = _texture(2 * H + 200, 2 * W + 200, 1, DISK, 35.0)
    frames, masks = [], []
    for k in range(steps + 1):
        cx, cy = START[0] + velocity[0] * k, START[1] + velocity[1] * k
        mask = _disk((cx, cy))
        top, left = H + 100 - cy, W + 100 - cx  # surface pixel (top + y, left + x): fixed relative to the centre
        frame = wall.copy()
        frame[mask] = surface[top:top + H, left:left + W][mask]
        frames.append(frame)
        masks.append(mask)
    return frames, masks


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return image_metrics(a, b)["dice"]


def _radius(mask: np.ndarray) -> float:
    return float(np.sqrt(mask.sum() / np.pi))


def test_the_mask_follows_a_moving_disk_and_beats_copying_the_keyframe_mask() -> None:
    frames, truth = _scene(8, (3, 1))  # 8 frames later the disk is 25 px from where it was drawn
    walk = propagate(frames, truth[0])
    assert walk.stop_reason == "end" and len(walk.soft) == 8 and walk.sources == ["flow"] * 8
    last = walk.masks()[-1]
    assert _dice(last, truth[8]) > 0.85
    copied = _dice(truth[0], truth[8])
    assert copied < 0.45 and _dice(last, truth[8]) > copied + 0.4
    # It moved the right way: the proposal's centre is within 3 px of the disk's, 25 px from the keyframe's.
    ys, xs = np.nonzero(last)
    assert abs(xs.mean() - (START[0] + 24)) < 3 and abs(ys.mean() - (START[1] + 8)) < 3
    assert all(_dice(m, t) > 0.85 for m, t in zip(walk.masks(), truth[1:], strict=True))


@pytest.mark.parametrize("miss", ["empty", "far away"])
def test_a_prior_that_misses_the_polyp_does_not_erase_it(miss: str) -> None:
    frames, truth = _scene(8, (3, 1))
    if miss == "empty":
        prior = np.zeros((H, W), np.float32)
    else:  # a detection in the far corner, beyond reach_px (24) of the polyp in every frame
        prior = soft_mask(_disk((W - 20, H - 20), 15))
    walk = propagate(frames, truth[0], [None] + [prior] * 8)
    flow_only = propagate(frames, truth[0])
    assert walk.stop_reason == "end" and walk.sources == ["flow+model"] * 8
    for with_prior, alone in zip(walk.masks(), flow_only.masks(), strict=True):
        np.testing.assert_array_equal(with_prior, alone)  # the prior was ignored, the flow's mask kept
    assert _dice(walk.masks()[-1], truth[8]) > 0.85
    assert not walk.masks()[-1][H - 30:, W - 30:].any()  # and the far detection was not added


def test_an_overlapping_prior_pulls_the_edge_halfway_at_equal_weights() -> None:
    # Two identical frames: the flow is zero, so the warped mask is the key disk (radius 20). The model sees a
    # disk of radius 26 on the same centre (IoU 400/676 = 0.59 >= MIN_PRIOR_OVERLAP). At flow_weight 0.5 the
    # fused map 0.5 * s(20 - r) + 0.5 * s(26 - r) (s logistic) is 0.5 where the two signed distances are
    # opposite: r = 23. The same prior also holds a large far detection (radius 40, 70 px beyond the polyp's
    # edge): outside reach_px it does not count, else it would bring the IoU to 1257/7150 = 0.18 and void the prior.
    frame = _texture(H, W, 3, WALL, 20.0)
    center = (50, 50)
    key = _disk(center, 20)
    prior = soft_mask(_disk(center, 26) | _disk((160, 120), 40))
    fused = propagate([frame, frame.copy()], key, [None, prior]).masks()[0]
    assert _radius(fused) == pytest.approx(23, abs=0.5)
    assert not fused[90:, 110:].any()
    flow_only = propagate([frame, frame.copy()], key, [None, prior], PropagationConfig(flow_weight=1.0)).masks()[0]
    assert _radius(flow_only) == pytest.approx(20, abs=0.5)
    # A prior inside the polyp that covers too little of it (IoU 64/400 = 0.16 < 0.3) is not this polyp's edge.
    small = propagate([frame, frame.copy()], key, [None, soft_mask(_disk(center, 8))]).masks()[0]
    np.testing.assert_array_equal(small, flow_only)


def test_the_models_prior_corrects_the_flows_drift_on_a_strongly_textured_wall() -> None:
    frames, truth = _scene(8, (4, 2), wall_amplitude=35.0)
    flow_only = _dice(propagate(frames, truth[0]).masks()[-1], truth[8])
    fused = propagate(frames, truth[0], [None] + [soft_mask(t) for t in truth[1:]])
    assert fused.sources == ["flow+model"] * 8
    assert _dice(fused.masks()[-1], truth[8]) > 0.9
    assert _dice(fused.masks()[-1], truth[8]) > flow_only + 0.1


def test_a_scene_change_stops_the_walk_before_the_other_scene() -> None:
    frames, truth = _scene(5, (3, 1))
    frames[3] = _texture(H, W, 9, OTHER, 35.0)  # another image: green, nothing like the pink wall
    walk = propagate(frames, truth[0])
    assert walk.stop_reason == "scene_change"
    assert len(walk.soft) == 2  # frames 1 and 2; neither frame 3 nor anything after it
    # The histogram rule is what stopped it: without it, the walk goes past frame 3.
    assert len(propagate(frames, truth[0], config=PropagationConfig(check_scene=False)).soft) >= 3


def test_lost_flow_stops_without_the_model_and_re_anchors_on_the_models_nearby_mask() -> None:
    frames, truth = _scene(4, (3, 1))
    # Frame 3's pixels shuffled: the same colours (no scene change), but nothing for the flow to follow.
    rng = np.random.default_rng(5)
    frames[3] = frames[3].reshape(-1, 3)[rng.permutation(H * W)].reshape(H, W, 3)
    alone = propagate(frames, truth[0])
    assert alone.stop_reason == "low_consistency" and len(alone.soft) == 2
    model = soft_mask(truth[3])
    helped = propagate(frames, truth[0], [None, None, None, model, None])
    assert helped.sources[2] == "model" and helped.consistency[2] < 0.3
    np.testing.assert_array_equal(helped.masks()[2], truth[3])


def test_max_frames_limits_the_walk() -> None:
    frames, truth = _scene(8, (3, 1))
    walk = propagate(frames, truth[0], config=PropagationConfig(max_frames=3))
    assert walk.stop_reason == "limit" and len(walk.soft) == 3 and len(walk.consistency) == 3
    assert propagate(frames, truth[0], config=PropagationConfig(max_frames=0)).soft == []
    assert propagate(frames, truth[0], config=PropagationConfig(max_frames=8)).stop_reason == "end"


def test_blend_weights_each_walk_by_closeness_to_its_keyframe() -> None:
    a = np.array([[0.8, 1.0]], np.float32)
    b = np.array([[0.2, 0.0]], np.float32)
    # 2 steps from the start, 1 from the end: weights 1/3 and 2/3 -> 0.8/3 + 2 * 0.2/3 = 0.4; 1/3 + 0 = 0.3333.
    np.testing.assert_allclose(blend(a, b, 2, 1), [[0.4, 1 / 3]], rtol=1e-6)
    # 1 step from the start, 3 from the end: weights 3/4 and 1/4 -> 0.6 + 0.05 = 0.65; 0.75.
    np.testing.assert_allclose(blend(a, b, 1, 3), [[0.65, 0.75]], rtol=1e-6)
    np.testing.assert_allclose(blend(a, b, 2, 2), [[0.5, 0.5]], rtol=1e-6)  # halfway: the mean
    assert blend(a, b, 1, 3).dtype == np.float32


def test_soft_mask_is_at_least_a_half_exactly_on_the_mask() -> None:
    mask = _disk((50, 60), 18)
    mask[100:140, 120:190] = True
    mask[120, 150] = False  # a one-pixel hole
    mask[20, 170] = True  # a one-pixel island
    mask[150:, :30] = True  # touching the border
    soft = soft_mask(mask)
    assert soft.dtype == np.float32 and soft.shape == mask.shape
    np.testing.assert_array_equal(soft >= 0.5, mask)
    # The edge lies halfway between the pixels either side of it: the two are symmetric about 0.5. A step to a
    # 4-neighbour is 0.955 px in OpenCV's 3x3 L2 distance: s(0.955 - 0.5) = 0.6118 inside, 0.3882 outside.
    assert soft[100, 150] == pytest.approx(0.6118, abs=1e-3) and soft[99, 150] == pytest.approx(0.3882, abs=1e-3)
    assert soft[120, 150] < 0.5 < soft[20, 170]
    assert soft[130, 175] > 0.99 and soft[5, 5] < 0.01
    np.testing.assert_array_equal(soft_mask(np.zeros((4, 5), bool)), np.zeros((4, 5), np.float32))
    np.testing.assert_array_equal(soft_mask(np.ones((4, 5), bool)), np.ones((4, 5), np.float32))


def test_wrong_shapes_raise_naming_the_sizes() -> None:
    frames, truth = _scene(2, (3, 1))
    with pytest.raises(ValueError, match=r"the key mask is 50x40, the frames 200x160"):
        propagate(frames, np.zeros((40, 50), bool))
    small = np.zeros((24, 32, 3), np.uint8)
    with pytest.raises(ValueError, match=r"frame 2 is 32x24, the keyframe 200x160"):
        propagate([frames[0], frames[1], small], truth[0])
    with pytest.raises(ValueError, match="no frames"):
        propagate([], truth[0])


def test_a_prior_of_the_wrong_size_raises_naming_the_sizes() -> None:
    frames, truth = _scene(1, (3, 1))
    with pytest.raises(ValueError, match=r"200x160"):
        propagate(frames, truth[0], [None, np.ones((H, 1), np.float32)])
