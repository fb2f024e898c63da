"""The frame engine: outputs at each frame's own size, thresholds, boxes, scores, order, caching."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from inference.checkpoint import load_checkpoint, read_checkpoint
from inference.data import normalize
from inference.engine import MIN_BOX_FRACTION, Engine, FrameResult, cached_model
from inference.errors import CheckpointError
from tests.inference.factories import BRIGHT, DARK, BrightnessModel, polyp_frame

CPU = torch.device("cpu")


def _bright_engine(size: int = 64, **kwargs) -> Engine:
    """An engine whose 'network' marks bright pixels: its masks are known in advance."""
    return Engine(BrightnessModel(), {"input_size": size, "version": "brightness"}, CPU, **kwargs)


def _dark(h: int, w: int) -> np.ndarray:
    return np.full((h, w, 3), DARK, np.uint8)


def test_results_come_back_at_each_frames_own_resolution(small_checkpoint: Path) -> None:
    engine = Engine.from_checkpoint(small_checkpoint, device="cpu")
    sizes = [(48, 64), (100, 80), (64, 64), (16, 16)]
    frames = [polyp_frame(h, w, seed=i)[0] for i, (h, w) in enumerate(sizes)]
    results = engine.predict_batch(frames)
    assert [r.index for r in results] == [0, 1, 2, 3]
    for r, (h, w) in zip(results, sizes, strict=True):
        assert r.prob.shape == (h, w) and r.prob.dtype == np.float32
        assert r.mask.shape == (h, w) and r.mask.dtype == bool


def test_outputs_obey_threshold_area_and_box_conventions(small_checkpoint: Path) -> None:
    model, meta = load_checkpoint(small_checkpoint)
    frames = [polyp_frame(80, 96, seed=i)[0] for i in range(3)] + [polyp_frame(40, 72, seed=9)[0]]
    probe_run = Engine(model, meta, CPU).predict_batch(frames[:1])[0]
    threshold = float(np.clip(np.median(probe_run.prob), 0.01, 0.99))  # about half the frame is "polyp"
    engine = Engine(model, meta, CPU, threshold=threshold)
    for r, frame in zip(engine.predict_batch(frames, start_index=5), frames, strict=True):
        h, w = frame.shape[:2]
        assert 0.0 <= r.prob.min() and r.prob.max() <= 1.0
        assert np.array_equal(r.mask, r.prob >= threshold)
        assert r.area == pytest.approx(r.mask.mean())
        assert 0.0 <= r.score <= 1.0
        for x, y, bw, bh in r.boxes:
            assert 0 <= x and 0 <= y and bw > 0 and bh > 0 and x + bw <= w and y + bh <= h
    assert engine.predict_batch(frames)[0].mask.any()


def test_boxes_frame_each_large_component_and_skip_specks() -> None:
    frame = _dark(64, 64)
    frame[5:15, 10:30] = BRIGHT  # 20 x 10 at (10, 5)
    frame[40:60, 40:50] = BRIGHT  # 10 x 20 at (40, 40)
    frame[2, 60] = BRIGHT  # 1 pixel: below MIN_BOX_FRACTION of the frame, so no box
    assert 1 < MIN_BOX_FRACTION * 64 * 64 < 200
    (r,) = _bright_engine().predict_batch([frame])
    assert sorted(r.boxes) == [[10, 5, 20, 10], [40, 40, 10, 20]]
    assert r.area == pytest.approx((200 + 200 + 1) / 4096)
    assert r.mask[2, 60]
    assert r.score == pytest.approx(1.0, abs=1e-3)


def test_masks_and_boxes_map_back_to_a_frame_larger_than_the_model_input() -> None:
    frame = _dark(128, 192)
    frame[32:96, 48:144] = BRIGHT  # 96 x 64 at (48, 32)
    (r,) = _bright_engine(size=64).predict_batch([frame])
    assert r.mask.shape == (128, 192)
    ((x, y, w, h),) = r.boxes
    assert abs(x - 48) <= 2 and abs(y - 32) <= 2 and abs(w - 96) <= 3 and abs(h - 64) <= 3
    assert r.area == pytest.approx(96 * 64 / (128 * 192), abs=0.01)


def test_score_is_the_peak_of_the_smoothed_probability() -> None:
    empty, speck, blob = _dark(64, 64), _dark(64, 64), _dark(64, 64)
    speck[30, 30] = BRIGHT
    blob[20:40, 20:40] = BRIGHT
    r_empty, r_speck, r_blob = _bright_engine().predict_batch([empty, speck, blob])
    assert r_empty.score < 1e-3 and r_empty.area == 0.0 and r_empty.boxes == [] and not r_empty.mask.any()
    assert r_speck.score == pytest.approx(1 / 9, abs=1e-3)  # one pixel averaged over its 3 x 3 window
    assert r_blob.score == pytest.approx(1.0, abs=1e-3)


def test_run_yields_results_in_order_with_consecutive_indices_across_batches() -> None:
    frames = []
    for i in range(7):
        f = _dark(64, 64)
        f[10:20, 0 : 4 + 4 * i] = BRIGHT  # area grows with the index
        frames.append(f)
    engine = _bright_engine(batch=3)
    results = list(engine.run(iter(frames)))
    assert [r.index for r in results] == list(range(7))
    assert [r.area for r in results] == pytest.approx([10 * (4 + 4 * i) / 4096 for i in range(7)])
    assert list(engine.run([])) == []


def test_engine_feeds_the_network_rgb_as_in_training(small_checkpoint: Path) -> None:
    model, meta = load_checkpoint(small_checkpoint)
    frame, _ = polyp_frame(64, 64, seed=3)  # BGR, already at the model's input size
    frame[..., 0] = 0  # a frame with no blue: swapping R and B would change everything
    (r,) = Engine(model, meta, CPU).predict_batch([frame])

    def forward(rgb: np.ndarray) -> np.ndarray:
        x = normalize(torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None])
        with torch.no_grad():
            return torch.sigmoid(model(x))[0, 0].numpy()

    expected, swapped = forward(frame[..., ::-1]), forward(frame)
    assert np.abs(expected - swapped).max() > 1e-2  # the check below can tell the orders apart
    assert np.allclose(r.prob, expected, atol=1e-4)


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.1, 1.5])
def test_a_threshold_outside_zero_one_is_rejected(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        _bright_engine(threshold=threshold)


def test_a_batch_below_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="batch"):
        _bright_engine(batch=0)


def test_cached_model_loads_a_checkpoint_once_per_process(small_checkpoint: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.pt"
    shutil.copy(small_checkpoint, path)
    first = cached_model(path, CPU, False)
    assert cached_model(path, CPU, False) is first
    a, b = Engine.from_checkpoint(path, device="cpu"), Engine.from_checkpoint(path, device="cpu", threshold=0.3)
    assert a.model is b.model is first[0]
    assert b.threshold == 0.3
    # A checkpoint replaced on disk (new mtime) is loaded afresh, never served stale.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert cached_model(path, CPU, False)[0] is not first[0]


def test_a_missing_checkpoint_raises_checkpoint_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="missing.pt"):
        Engine.from_checkpoint(tmp_path / "missing.pt", device="cpu")


def test_the_shipped_default_model_runs_at_448_and_reports_its_version() -> None:
    engine = Engine.from_checkpoint(None, device="cpu")
    meta = read_checkpoint(engine.meta["path"])
    assert engine.size == 448
    assert engine.version == meta["version"]
    frame, _ = polyp_frame(80, 96)
    (r,) = engine.predict_batch([frame])
    assert r.prob.shape == (80, 96)
    assert 0.0 <= r.score <= 1.0


def test_frame_result_summary_is_json_ready() -> None:
    r = FrameResult(3, np.zeros((2, 2), np.float32), np.zeros((2, 2), bool), 0.123456789, 0.25, [[0, 0, 1, 1]])
    assert r.summary() == {"index": 3, "score": 0.12346, "area": 0.25, "boxes": [[0, 0, 1, 1]]}
    cv2.imencode(".png", r.mask.view(np.uint8) * 255)  # masks are writable as images directly
