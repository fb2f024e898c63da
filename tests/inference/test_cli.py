"""`python -m inference ...` in a fresh interpreter: outputs on disk, and clean failures."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from inference.checkpoint import save_checkpoint
from inference.models import ModelConfig, build_model
from tests.inference.factories import (
    count_video_frames,
    polyp_frame,
    run_cli,
    truncate_half,
    write_image,
    write_video,
)


def _read_mask_png(path: Path) -> np.ndarray:
    mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert mask is not None, path
    return mask


def _assert_clean_failure(proc, name: str, out: Path) -> None:
    """Exit 2, one 'error:' line naming the file, no traceback, nothing left on disk."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert name in errors[0]
    assert not out.exists()
    assert not (out.parent / f".{out.name}.partial").exists()


def test_help_lists_the_commands() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0
    for command in ("segment", "evaluate", "train", "bench"):
        assert command in proc.stdout


def test_segment_a_video_writes_masks_results_and_overlay(tmp_path: Path, small_checkpoint: Path) -> None:
    video = write_video(tmp_path / "procedure.mp4", 12, w=96, h=80, fps=10)
    out = tmp_path / "out"
    proc = run_cli("segment", video, "--out", out, "--checkpoint", small_checkpoint, "--device", "cpu", "--batch", "5")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["n_frames"] == 12

    masks = sorted((out / "masks").iterdir())
    assert [m.name for m in masks] == [f"{i:06d}.png" for i in range(12)]
    results = json.loads((out / "results.json").read_text())
    assert results["kind"] == "video" and results["n_frames"] == 12 and len(results["frames"]) == 12
    assert results["model"]["version"] == "test-scrnet-64" and results["model"]["input_size"] == 64
    for i, (row, path) in enumerate(zip(results["frames"], masks, strict=True)):
        mask = _read_mask_png(path)
        assert mask.shape == (80, 96) and mask.dtype == np.uint8
        assert set(np.unique(mask).tolist()) <= {0, 255}
        assert row["index"] == i and row["name"] == f"{i:06d}"
        assert (row["width"], row["height"]) == (96, 80)
        assert row["time_s"] == pytest.approx(i / 10)
        assert 0.0 <= row["score"] <= 1.0
        assert row["area"] == pytest.approx((mask > 0).mean(), abs=1e-5)
        assert isinstance(row["boxes"], list)

    cap = cv2.VideoCapture(str(out / "overlay.mp4"))
    assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (96, 80)
    cap.release()
    assert count_video_frames(out / "overlay.mp4") == 12
    assert not (tmp_path / ".out.partial").exists()


def test_segment_an_image_writes_a_mask_named_by_its_stem(tmp_path: Path, small_checkpoint: Path) -> None:
    image = write_image(tmp_path / "polyp-017.jpg", polyp_frame(72, 56)[0])
    out = tmp_path / "out"
    proc = run_cli("segment", image, "--out", out, "--checkpoint", small_checkpoint, "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in (out / "masks").iterdir()] == ["polyp-017.png"]
    assert _read_mask_png(out / "masks" / "polyp-017.png").shape == (72, 56)
    results = json.loads((out / "results.json").read_text())
    assert results["kind"] == "image" and results["n_frames"] == 1
    assert results["frames"][0]["name"] == "polyp-017"
    assert not (out / "overlay.mp4").exists()


def test_segment_a_folder_writes_one_mask_per_image_at_its_size(tmp_path: Path, small_checkpoint: Path) -> None:
    folder = tmp_path / "frames"
    write_image(folder / "a.png", polyp_frame(40, 56)[0])
    write_image(folder / "b.jpg", polyp_frame(64, 48, seed=1)[0])
    out = tmp_path / "out"
    proc = run_cli("segment", folder, "--out", out, "--checkpoint", small_checkpoint, "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (out / "masks").iterdir()) == ["a.png", "b.png"]
    assert _read_mask_png(out / "masks" / "a.png").shape == (40, 56)
    assert _read_mask_png(out / "masks" / "b.png").shape == (64, 48)
    results = json.loads((out / "results.json").read_text())
    assert results["kind"] == "folder" and [f["name"] for f in results["frames"]] == ["a", "b"]

    # A second run into the same folder replaces the masks of the first.
    image = write_image(tmp_path / "c.png", polyp_frame(32, 32)[0])
    proc = run_cli("segment", image, "--out", out, "--checkpoint", small_checkpoint, "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in (out / "masks").iterdir()] == ["c.png"]
    assert json.loads((out / "results.json").read_text())["n_frames"] == 1


def _truncated_mp4(d: Path) -> Path:
    return truncate_half(write_video(d / "cut.mp4", 30))


def _truncated_avi(d: Path) -> Path:  # opens and decodes part way: fails after masks were staged
    return truncate_half(write_video(d / "cut.avi", 30, fourcc="MJPG"))


def _empty(d: Path) -> Path:
    (d / "empty.mp4").write_bytes(b"")
    return d / "empty.mp4"


def _text_as_jpg(d: Path) -> Path:
    (d / "notes.jpg").write_text("not an image\n" * 10)
    return d / "notes.jpg"


def _garbage_video(d: Path) -> Path:
    (d / "noise.mp4").write_bytes(os.urandom(20000))
    return d / "noise.mp4"


def _zero_frame_video(d: Path) -> Path:
    return write_video(d / "blank.mp4", 0)


def _empty_folder(d: Path) -> Path:
    (d / "nothing").mkdir()
    (d / "nothing" / "readme.txt").write_text("no frames")
    return d / "nothing"


BAD_INPUTS: dict[str, Callable[[Path], Path]] = {
    "truncated-mp4": _truncated_mp4,
    "truncated-avi": _truncated_avi,
    "empty-file": _empty,
    "text-named-jpg": _text_as_jpg,
    "garbage-video": _garbage_video,
    "zero-frame-video": _zero_frame_video,
    "folder-without-images": _empty_folder,
}


@pytest.mark.parametrize("make", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_segment_rejects_a_bad_input_cleanly(tmp_path: Path, small_checkpoint: Path, make) -> None:
    bad = make(tmp_path)
    out = tmp_path / "out"
    proc = run_cli("segment", bad, "--out", out, "--checkpoint", small_checkpoint, "--device", "cpu", "--batch", "4")
    _assert_clean_failure(proc, bad.name, out)


def _corrupt_checkpoint(d: Path) -> Path:
    (d / "corrupt.pt").write_bytes(os.urandom(5000))
    return d / "corrupt.pt"


def _other_architecture_checkpoint(d: Path) -> Path:
    path = d / "unet-as-scrnet.pt"
    save_checkpoint(path, build_model("unet"), {"input_size": 64})
    data = torch.load(path, weights_only=True)
    data["model_config"] = ModelConfig(variant="scrnet").to_dict()
    torch.save(data, path)
    return path


def _missing_checkpoint(d: Path) -> Path:
    return d / "missing.pt"


BAD_CHECKPOINTS: dict[str, Callable[[Path], Path]] = {
    "corrupt": _corrupt_checkpoint,
    "other-architecture": _other_architecture_checkpoint,
    "missing": _missing_checkpoint,
}


@pytest.mark.parametrize("make", BAD_CHECKPOINTS.values(), ids=BAD_CHECKPOINTS.keys())
def test_segment_rejects_a_bad_checkpoint_cleanly(tmp_path: Path, make) -> None:
    image = write_image(tmp_path / "frame.png", polyp_frame(32, 32)[0])
    checkpoint = make(tmp_path)
    out = tmp_path / "out"
    proc = run_cli("segment", image, "--out", out, "--checkpoint", checkpoint, "--device", "cpu")
    _assert_clean_failure(proc, checkpoint.name, out)


def test_segment_rejects_a_threshold_outside_zero_one_without_a_traceback(
    tmp_path: Path, small_checkpoint: Path
) -> None:
    image = write_image(tmp_path / "frame.png", polyp_frame(32, 32)[0])
    out = tmp_path / "out"
    proc = run_cli("segment", image, "--out", out, "--checkpoint", small_checkpoint, "--threshold", "1.5")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "threshold" in proc.stderr
    assert not out.exists() and not (tmp_path / ".out.partial").exists()


def test_evaluate_prints_one_json_object_with_the_papers_metrics(
    synthetic_dataset: tuple[Path, Path], small_checkpoint: Path
) -> None:
    root, split_file = synthetic_dataset
    proc = run_cli(
        "evaluate", "--data", root, "--split", "all", "--json", "--checkpoint", small_checkpoint, "--device", "cpu"
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # the whole of stdout is one JSON object
    assert result["n"] == 24
    for key in ("iou", "dice", "se", "sp"):
        assert 0.0 <= result[key] <= 1.0, key
    assert result["fps"] > 0
    assert result["input_size"] == 64 and result["model_version"] == "test-scrnet-64"

    proc = run_cli(
        "evaluate",
        "--data",
        root,
        "--split",
        "test",
        "--split-file",
        split_file,
        "--json",
        "--checkpoint",
        small_checkpoint,
        "--device",
        "cpu",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["n"] == 5  # 24 images: 17 train, 2 val, 5 test


def test_evaluate_with_a_split_that_does_not_fit_the_data_fails_cleanly(
    synthetic_dataset: tuple[Path, Path], small_checkpoint: Path
) -> None:
    root, _ = synthetic_dataset
    # The package's Kvasir-SEG split names ids this synthetic folder does not have.
    proc = run_cli("evaluate", "--data", root, "--split", "test", "--json", "--checkpoint", small_checkpoint)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--split all" in proc.stderr


def test_evaluate_names_the_missing_masks_folder(tmp_path: Path, small_checkpoint: Path) -> None:
    write_image(tmp_path / "data" / "images" / "1.jpg", polyp_frame(32, 32)[0])
    proc = run_cli("evaluate", "--data", tmp_path / "data", "--split", "all", "--checkpoint", small_checkpoint)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "masks/" in proc.stderr


def test_split_writes_a_70_10_20_file_once(synthetic_dataset: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = synthetic_dataset
    path = tmp_path / "split.json"
    proc = run_cli("split", "--data", root, "--out", path)
    assert proc.returncode == 0, proc.stderr
    split = json.loads(path.read_text())
    assert [len(split[p]) for p in ("train", "val", "test")] == [17, 2, 5]
    before = path.read_bytes()
    proc = run_cli("split", "--data", root, "--out", path)
    assert proc.returncode == 2 and "exists" in proc.stderr
    assert path.read_bytes() == before
