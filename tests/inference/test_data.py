"""Dataset listing, the fixed split, mask reading, loading and augmentation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from inference.checkpoint import DEFAULT_CHECKPOINT, read_checkpoint
from inference.data import (
    DEFAULT_SPLIT_FILE,
    AugmentConfig,
    Sample,
    augment,
    dedupe,
    list_samples,
    load_split,
    load_tensors,
    make_split,
    normalize,
    read_mask,
    select,
    split_hash,
    write_split,
)
from inference.errors import DatasetError
from tests.inference.factories import polyp_frame, write_dataset, write_image


def test_make_split_is_700_100_200_disjoint_and_deterministic_for_a_seed() -> None:
    ids = [f"img{i:04d}" for i in range(1000)]
    split = make_split(ids, seed=2021)
    assert (len(split["train"]), len(split["val"]), len(split["test"])) == (700, 100, 200)
    parts = [set(split[p]) for p in ("train", "val", "test")]
    assert not parts[0] & parts[1] and not parts[0] & parts[2] and not parts[1] & parts[2]
    assert set().union(*parts) == set(ids)
    assert make_split(list(reversed(ids)), seed=2021) == split  # input order does not matter
    assert make_split(ids, seed=1)["test"] != split["test"]


def test_write_split_returns_the_sha256_of_the_written_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "split.json"
    digest = write_split(path, make_split([str(i) for i in range(10)]))
    assert digest == split_hash(path)
    assert len(digest) == 64
    assert load_split(path)["train"] == json.loads(path.read_text())["train"]


def test_shipped_split_file_is_700_100_200_and_matches_the_shipped_model() -> None:
    split = load_split(DEFAULT_SPLIT_FILE)
    parts = [set(split[p]) for p in ("train", "val", "test")]
    assert [len(p) for p in parts] == [700, 100, 200]
    assert len(set().union(*parts)) == 1000
    assert read_checkpoint(DEFAULT_CHECKPOINT)["split_hash"] == split_hash(DEFAULT_SPLIT_FILE)


def test_load_split_rejects_a_file_without_the_three_parts(tmp_path: Path) -> None:
    path = tmp_path / "split.json"
    path.write_text(json.dumps({"train": ["1"], "val": ["2"]}))
    with pytest.raises(DatasetError, match="'test'"):
        load_split(path)
    path.write_text("{not json")
    with pytest.raises(DatasetError, match="split.json"):
        load_split(path)


def test_list_samples_pairs_images_and_masks_by_stem_across_extensions(tmp_path: Path) -> None:
    frame, mask = polyp_frame(16, 16)
    for stem in ("10", "2", "a"):
        write_image(tmp_path / "images" / f"{stem}.jpg", frame)
    for stem in ("10", "2", "b"):  # no mask for "a", no image for "b"
        write_image(tmp_path / "masks" / f"{stem}.png", mask.astype(np.uint8) * 255)
    (tmp_path / "images" / "notes.txt").write_text("not an image")
    samples = list_samples(tmp_path)
    assert [s.id for s in samples] == ["2", "10"]  # natural order, unpaired files left out
    assert samples[0] == Sample("2", tmp_path / "images" / "2.jpg", tmp_path / "masks" / "2.png")


@pytest.mark.parametrize("missing", ["images", "masks"])
def test_list_samples_names_the_missing_folder(tmp_path: Path, missing: str) -> None:
    write_dataset(tmp_path, 2, size=(16, 16))
    for f in (tmp_path / missing).iterdir():
        f.unlink()
    (tmp_path / missing).rmdir()
    with pytest.raises(DatasetError, match=f"{missing}/ is missing"):
        list_samples(tmp_path)


def test_list_samples_raises_when_nothing_pairs(tmp_path: Path) -> None:
    frame, _ = polyp_frame(16, 16)
    write_image(tmp_path / "images" / "a.jpg", frame)
    write_image(tmp_path / "masks" / "b.png", frame)
    with pytest.raises(DatasetError, match="no image"):
        list_samples(tmp_path)


def test_read_mask_thresholds_at_128(tmp_path: Path) -> None:
    values = np.array([[0, 127], [128, 255]], np.uint8)
    mask = read_mask(write_image(tmp_path / "m.png", values))
    assert mask.dtype == bool
    assert mask.tolist() == [[False, False], [True, True]]


def test_read_mask_uses_the_first_rgb_channel_of_a_colour_mask(tmp_path: Path) -> None:
    bgr = np.zeros((2, 2, 3), np.uint8)
    bgr[0, 0] = (0, 0, 200)  # red only: foreground
    bgr[0, 1] = (200, 200, 0)  # blue and green: background
    mask = read_mask(write_image(tmp_path / "m.png", bgr))
    assert mask.tolist() == [[True, False], [False, False]]


def test_dedupe_drops_byte_identical_images_and_counts_them(tmp_path: Path) -> None:
    write_dataset(tmp_path, 4, size=(16, 16))
    (tmp_path / "images" / "3.jpg").write_bytes((tmp_path / "images" / "1.jpg").read_bytes())
    kept, dropped = dedupe(list_samples(tmp_path))
    assert [s.id for s in kept] == ["0", "1", "2"]
    assert dropped == 1


def test_select_returns_a_part_in_split_order_or_everything(tmp_path: Path) -> None:
    write_dataset(tmp_path / "d", 5, size=(16, 16))
    samples = list_samples(tmp_path / "d")
    split_file = tmp_path / "split.json"
    split_file.write_text(json.dumps({"train": ["3", "0", "1"], "val": ["2"], "test": ["4"]}))
    assert [s.id for s in select(samples, split_file, "train")] == ["3", "0", "1"]
    assert [s.id for s in select(samples, split_file, "test")] == ["4"]
    assert select(samples, None, "all") == samples


def test_select_raises_when_split_ids_are_missing_from_the_dataset(tmp_path: Path) -> None:
    write_dataset(tmp_path / "d", 3, size=(16, 16))
    split_file = tmp_path / "split.json"
    split_file.write_text(json.dumps({"train": ["0", "99"], "val": [], "test": []}))
    with pytest.raises(DatasetError, match="first: 99"):
        select(list_samples(tmp_path / "d"), split_file, "train")
    with pytest.raises(DatasetError, match="needs a split file"):
        select(list_samples(tmp_path / "d"), None, "train")


def test_load_tensors_resizes_to_uint8_images_and_0_1_masks(tmp_path: Path) -> None:
    write_dataset(tmp_path, 3, size=(40, 56))
    images, masks = load_tensors(list_samples(tmp_path), 32, workers=2)
    assert images.shape == (3, 3, 32, 32) and images.dtype == torch.uint8
    assert masks.shape == (3, 1, 32, 32) and masks.dtype == torch.uint8
    assert set(masks.unique().tolist()) == {0, 1}
    # RGB order: the polyp is reddish (R > B) in the synthetic frames.
    polyp = masks[:, 0].bool()
    assert images[:, 0][polyp].float().mean() > images[:, 2][polyp].float().mean() + 20


def test_normalize_maps_the_mean_colour_to_zero() -> None:
    from inference.data import MEAN

    mean_pixel = torch.tensor([round(255 * m) for m in MEAN], dtype=torch.uint8).view(1, 3, 1, 1)
    assert normalize(mean_pixel).abs().max() < 0.01


def _batch(n: int = 4, size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    frames = [polyp_frame(size, size, center=(8 + 2 * i, 10), axes=(6, 4), seed=i) for i in range(n)]
    images = torch.from_numpy(np.stack([f[::, :, ::-1].copy() for f, _ in frames])).permute(0, 3, 1, 2)
    masks = torch.from_numpy(np.stack([m for _, m in frames])).unsqueeze(1).float()
    return normalize(images), masks


def test_augment_with_probability_zero_returns_the_batch_unchanged() -> None:
    images, masks = _batch()
    out_x, out_y = augment(images, masks, AugmentConfig(p=0.0), torch.Generator().manual_seed(0))
    assert torch.allclose(out_x, images, atol=1e-4)
    assert torch.equal(out_y, masks)


def test_augment_with_probability_one_keeps_shapes_and_binary_masks() -> None:
    images, masks = _batch()
    out_x, out_y = augment(images, masks, AugmentConfig(p=1.0), torch.Generator().manual_seed(0))
    assert out_x.shape == images.shape and out_y.shape == masks.shape
    assert set(out_y.unique().tolist()) <= {0.0, 1.0}
    assert not torch.allclose(out_x, images, atol=1e-2)  # flips alone move an off-centre polyp


def test_augment_moves_image_and_mask_together() -> None:
    images, masks = _batch(n=6)
    # Image = padding colour + 10 x mask, so after the same warp the brightest pixels are the mask's.
    black = normalize(torch.zeros(1, 3, 1, 1, dtype=torch.uint8))
    images = black + 10 * masks
    out_x, out_y = augment(images, masks, AugmentConfig(p=1.0), torch.Generator().manual_seed(3))
    for x, y in zip(out_x[:, 0], out_y[:, 0].bool(), strict=True):
        assert y.any() and (~y).any()
        # Contrast is monotone per image: every mask pixel is at least as bright as any other.
        assert x[y].min() >= x[~y].max() - 1e-4


def test_augment_is_reproducible_for_a_seeded_generator() -> None:
    images, masks = _batch()
    a = augment(images, masks, AugmentConfig(), torch.Generator().manual_seed(5))
    b = augment(images, masks, AugmentConfig(), torch.Generator().manual_seed(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
