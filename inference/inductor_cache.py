"""Warm start of the Inductor paths: an AOTInductor package per checkpoint, device, precision, ISA and torch.

Cold, the model is exported (torch.export) and compiled ahead of time with its weights frozen into the
package (aoti_compile_and_package); warm, the package is only loaded (aoti_load_package), so a worker's start
skips the minute of compiling. On CUDA the engine batches frames with a varying last batch, so it keeps the
in-process torch.compile there (Inductor's own caches make a restart cheaper, not free).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import torch
from torch import nn

from inference.compiled_cache import load_or_build

log = logging.getLogger(__name__)

PACKAGE = "model.pt2"


class _Autocast(nn.Module):
    """`model` under autocast, exported as one graph (bf16 convolutions, fp32 logits out)."""

    def __init__(self, model: nn.Module, dtype: torch.dtype | None) -> None:
        super().__init__()
        self.model, self.dtype = model, dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cpu", dtype=self.dtype or torch.bfloat16, enabled=self.dtype is not None):
            return self.model(x).float()


class PackagedModel(nn.Module):
    """An AOTInductor package called like the model: channels_last (1, 3, S, S) float -> (1, 1, S, S) logits.

    The package is compiled for batch 1 at the checkpoint's input size (the engine's CPU batch), so larger
    batches run frame by frame.
    """

    def __init__(self, runner, size: int) -> None:
        super().__init__()
        self.runner, self.size = runner, size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [self.runner(f.float().contiguous(memory_format=torch.channels_last)) for f in x.split(1)]
        return torch.cat([o[0] if isinstance(o, (list, tuple)) else o for o in outs])


def build_package(model: nn.Module, size: int, amp: torch.dtype | None, folder: Path) -> dict:
    t0 = time.perf_counter()
    example = torch.randn(1, 3, size, size).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        exported = torch.export.export(_Autocast(model.eval(), amp), (example,))
    torch._inductor.aoti_compile_and_package(
        exported, package_path=str(folder / PACKAGE), inductor_configs={"freezing": True}
    )
    return {"compile_seconds": round(time.perf_counter() - t0, 1), "input_size": size}


def load_package(folder: Path, size: int) -> PackagedModel:
    runner = torch._inductor.aoti_load_package(str(folder / PACKAGE))
    packaged = PackagedModel(runner, size)
    with torch.inference_mode():  # a package that loads but cannot run is as corrupt as one that does not load
        packaged(torch.zeros(1, 3, size, size).contiguous(memory_format=torch.channels_last))
    return packaged


def warm_compile(
    model: nn.Module,
    meta: dict,
    device: torch.device,
    path: str,
    amp: torch.dtype | None,
    cache_dir: Path | str | None,
) -> tuple[nn.Module, float, bool]:
    """(compiled model, seconds it took, whether it came from the cache)."""
    from inference.fastpath import cache_key, compile_inductor

    t0 = time.perf_counter()
    if device.type != "cpu":
        return compile_inductor(model), time.perf_counter() - t0, False
    size = int(meta.get("input_size", 448))
    key = cache_key(meta, device, path, f"aoti-{torch.__version__}")
    loaded = load_or_build(
        key,
        lambda folder: build_package(model, size, amp, folder),
        lambda folder, info: load_package(folder, int(info["input_size"])),
        cache_dir,
    )
    return loaded.value, loaded.seconds, not loaded.built
