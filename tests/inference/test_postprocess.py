"""Post-processing: the runs path (the video pipeline's) gives exactly the runs of the mask it defines, on any frame
size, and that mask lies within RUNS_TOLERANCE of the exact path's (Engine.predict_batch); the score is the same."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from inference import postprocess
from inference.engine import Engine
from tests.inference.factories import BrightnessModel, polyp_frame

CPU = torch.device("cpu")


def _logit_maps(s: int, n: int = 6, seed: int = 0) -> torch.Tensor:
    """Noise, all below, all above, a blob, two corner specks, a ring: (n, 1, s, s) logits."""
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 1, s, s, generator=gen) * 3
    yy, xx = torch.meshgrid(torch.arange(s, dtype=torch.float32), torch.arange(s, dtype=torch.float32),
                            indexing="ij")
    r2 = ((yy - 0.4 * s) ** 2 + (xx - 0.6 * s) ** 2) / (s * s)
    logits[1], logits[2] = -5.0, 5.0
    logits[3, 0] = 4 - r2 * 50
    logits[4] = -5.0
    logits[4, 0, 0, 0] = logits[4, 0, -1, -1] = 5.0
    logits[5, 0] = 3 - (r2.sqrt() - 0.25).abs() * 40
    return logits


def _nearest_mask(prob: torch.Tensor, h: int, w: int, threshold: float) -> np.ndarray:
    """The definition: threshold at the model's resolution, sample at each frame pixel's nearest source centre."""
    m = (prob[:, 0] >= threshold).numpy()
    ry, cx = postprocess.nearest_index(h, prob.shape[2]), postprocess.nearest_index(w, prob.shape[3])
    return m[:, ry][:, :, cx]


@pytest.mark.parametrize("s,h,w", [(448, 500, 574), (448, 1080, 1920), (32, 48, 64), (32, 16, 16), (32, 20, 50),
                                   (8, 3, 1), (16, 16, 16), (7, 13, 5)])
def test_runs_are_exactly_those_of_the_nearest_exact_mask(s, h, w):
    prob = postprocess.probabilities(_logit_maps(s))
    runs = postprocess.frame_runs(prob, h, w, 0.5, start_index=7)
    expected = _nearest_mask(prob, h, w, 0.5)
    assert [r.index for r in runs] == list(range(7, 7 + len(expected)))
    for r, mask in zip(runs, expected, strict=True):
        assert (r.height, r.width) == (h, w) and r.counts.sum() == h * w
        assert np.array_equal(r.mask, mask)
        assert r.area == pytest.approx(mask.mean(), abs=1e-12)


def test_the_score_is_the_3x3_mean_peak_as_avg_pool_gives_it():
    prob = postprocess.probabilities(_logit_maps(64))
    expected = F.avg_pool2d(prob, 3, stride=1, padding=1).amax(dim=(1, 2, 3))
    assert torch.allclose(postprocess.scores(prob), expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("h,w", [(500, 574), (1080, 1920), (288, 384), (80, 96)])
def test_runs_masks_lie_within_the_tolerance_of_the_exact_masks(h, w):
    s = 448 if h >= 288 else 64
    prob = postprocess.probabilities(_logit_maps(s, seed=h))[3:]  # the blob, the specks, the ring
    exact = postprocess.exact_results(prob, [(h, w)] * len(prob), 0.5, 0)
    runs = postprocess.frame_runs(prob, h, w, 0.5, 0)
    # Differing pixels lie on the exact mask's edge: within one model pixel (in frame pixels, rounded up) of it.
    reach = 1 + int(np.ceil(postprocess.RUNS_TOLERANCE["edge_px"] * max(h / s, w / s)))
    kernel = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    for e, r in zip(exact, runs, strict=True):
        assert r.score == pytest.approx(e.score, abs=1e-6)
        m = e.mask.view(np.uint8)
        edge = cv2.dilate(m, kernel) != cv2.erode(m, kernel)
        assert not (r.mask != e.mask)[~edge].any()
    blob_exact, blob_runs = exact[0], runs[0]  # a polyp-sized blob: its area within 1% of itself
    assert blob_runs.area == pytest.approx(blob_exact.area, rel=postprocess.RUNS_TOLERANCE["area_rel"])


def test_the_engines_video_path_matches_its_exact_path():
    engine = Engine(BrightnessModel(), {"input_size": 64, "version": "brightness"}, CPU)
    frames = [polyp_frame(120, 160, seed=i)[0] for i in range(3)]
    exact, runs = engine.predict_batch(frames, 4), engine.predict_runs(frames, 4)
    for e, r in zip(exact, runs, strict=True):
        assert r.index == e.index and r.score == pytest.approx(e.score, abs=1e-6)
        assert r.area == pytest.approx(e.area, rel=postprocess.RUNS_TOLERANCE["area_rel"])
        assert (r.mask != e.mask).mean() < 0.01
    with pytest.raises(ValueError, match="one size"):
        engine.predict_runs([frames[0], polyp_frame(60, 80)[0]])
    assert engine.predict_runs([]) == []


@pytest.mark.parametrize("h,w", [(500, 574), (1080, 1920), (288, 384)])
def test_resizing_on_the_device_matches_opencvs_area_resize(h, w):
    from inference.engine import resize_on_device

    frames = [polyp_frame(h, w, seed=i)[0] for i in range(2)]
    on_device = resize_on_device(frames, 448, CPU)  # the accelerator's code, run on the CPU
    by_opencv = torch.from_numpy(np.stack([cv2.resize(f, (448, 448), interpolation=cv2.INTER_AREA) for f in frames]))
    by_opencv = by_opencv.permute(0, 3, 1, 2).flip(1).float()
    assert on_device.shape == by_opencv.shape == (2, 3, 448, 448)
    assert (on_device - by_opencv).abs().mean() < 1.0  # grey levels, 0..255: they differ only along sharp edges
    model = BrightnessModel()
    engine = Engine(model, {"input_size": 448, "version": "brightness"}, CPU)
    with torch.no_grad():
        masks = [torch.sigmoid(model((x - engine._mean) * engine._inv_std)) >= 0.5 for x in (on_device, by_opencv)]
    assert (masks[0] != masks[1]).float().mean() < 0.005
