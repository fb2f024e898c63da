"""Checkpoints: round trip, and clear CheckpointErrors for every kind of bad file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from inference.checkpoint import (
    DEFAULT_CHECKPOINT,
    FORMAT,
    default_checkpoint,
    file_sha256,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from inference.data import DEFAULT_SPLIT_FILE, split_hash
from inference.errors import CheckpointError
from inference.models import ModelConfig, build_model


def test_save_then_load_gives_a_model_with_identical_outputs(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = build_model("scrnet")
    # Non-default batch-norm statistics, so the buffers must travel too.
    with torch.no_grad():
        model.train()(torch.randn(2, 3, 32, 32) * 3 + 1)
    path = tmp_path / "sub" / "model.pt"
    save_checkpoint(path, model, {"version": "v-test", "input_size": 32})
    loaded, meta = load_checkpoint(path)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(model.eval()(x), loaded(x))
    assert not loaded.training
    assert meta["version"] == "v-test" and meta["input_size"] == 32
    assert meta["format"] == FORMAT
    assert meta["sha256"] == file_sha256(path)
    assert meta["path"] == str(path)
    assert "state_dict" not in meta
    assert not list(tmp_path.glob("**/*.tmp"))  # written through a temp file, then renamed


def test_load_rebuilds_the_variant_and_widths_named_in_the_checkpoint(tmp_path: Path) -> None:
    config = ModelConfig(variant="baseline+scm", widths=(4, 8, 8, 8, 8), decoder_widths=(8, 4, 4, 4))
    save_checkpoint(tmp_path / "m.pt", build_model(config), {})
    model, meta = load_checkpoint(tmp_path / "m.pt")
    assert model.config == config
    assert meta["model_config"] == config.to_dict()


def test_a_missing_file_raises_checkpoint_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.pt"
    with pytest.raises(CheckpointError, match="nope.pt.*not found"):
        load_checkpoint(path)


def test_a_corrupt_file_raises_checkpoint_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pt"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(CheckpointError, match="corrupt.pt"):
        load_checkpoint(path)


def test_a_truncated_checkpoint_raises_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "half.pt"
    save_checkpoint(path, build_model("scrnet"), {"input_size": 64})
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="half.pt"):
        load_checkpoint(path)


def test_a_torch_dict_without_the_format_key_raises_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "plain.pt"
    torch.save({"state_dict": build_model("scrnet").state_dict()}, path)
    with pytest.raises(CheckpointError, match="plain.pt.*not a Polypscope checkpoint"):
        read_checkpoint(path)
    torch.save([1, 2, 3], path)
    with pytest.raises(CheckpointError, match="not a Polypscope checkpoint"):
        load_checkpoint(path)


def test_weights_of_another_architecture_raise_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "mislabelled.pt"
    unet = build_model("unet")
    save_checkpoint(path, unet, {"input_size": 64})
    data = torch.load(path, weights_only=True)
    data["model_config"] = ModelConfig(variant="scrnet").to_dict()  # U-Net weights under an SCR-Net name
    torch.save(data, path)
    with pytest.raises(CheckpointError, match="mislabelled.pt.*do not fit the architecture"):
        load_checkpoint(path)


def test_an_unknown_variant_in_the_checkpoint_raises_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "future.pt"
    save_checkpoint(path, build_model("scrnet"), {})
    data = torch.load(path, weights_only=True)
    data["model_config"]["variant"] = "scrnet-v9"
    torch.save(data, path)
    with pytest.raises(CheckpointError, match="scrnet-v9"):
        load_checkpoint(path)


def test_the_shipped_default_loads_with_its_provenance() -> None:
    assert default_checkpoint() == DEFAULT_CHECKPOINT
    model, meta = load_checkpoint(DEFAULT_CHECKPOINT)
    assert meta["version"]
    assert meta["input_size"] == 448
    assert meta["split_hash"] == split_hash(DEFAULT_SPLIT_FILE)
    assert meta["sha256"] == file_sha256(DEFAULT_CHECKPOINT)
    assert meta["model_config"]["variant"] == "scrnet"
    assert type(model).__name__ == "SCRNet"
