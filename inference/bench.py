"""Speed benchmark: parameters, GFLOPs, eager fp32 and fast-path frames per second.

`python -m inference bench --size 448 --batch 1 --json`. The model runs on
random weights (speed does not depend on them) at the reference widths.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from inference.engine import _compile, fast_path_name
from inference.models import ModelConfig, build_model, count_flops, count_params
from inference.runtime import autocast_dtype, pick_device


def _fps(fn: Callable[[], object], device: torch.device, batch: int, iters: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return batch * iters / (time.perf_counter() - t0)


@torch.inference_mode()
def run_bench(size: int = 448, batch: int = 1, variant: str = "scrnet", iters: int = 30, device: str = "auto") -> dict:
    if size % 16 or size < 16:
        raise ValueError(f"--size must be a positive multiple of 16, got {size}")
    dev = pick_device(device)
    model = build_model(ModelConfig(variant=variant)).eval().to(dev)
    params = count_params(model)
    gflops = count_flops(model, size) / 1e9
    x = torch.randn(batch, 3, size, size, device=dev)
    eager = _fps(lambda: model(x), dev, batch, iters)
    fast_model = _compile(model.to(memory_format=torch.channels_last), dev)
    xc = x.contiguous(memory_format=torch.channels_last)
    dtype = autocast_dtype(dev)

    def fast() -> torch.Tensor:
        with torch.autocast(dev.type, dtype=dtype, enabled=dtype is not None):
            return fast_model(xc)

    t0 = time.perf_counter()
    fast()
    compile_s = time.perf_counter() - t0
    fast_fps = _fps(fast, dev, batch, iters)
    return {
        "variant": variant,
        "size": size,
        "batch": batch,
        "params": params,
        "gflops_per_frame": round(gflops, 3),
        "eager_fp32_fps": round(eager, 2),
        "fast_fps": round(fast_fps, 2),
        "fast_ms_per_batch": round(1000 * batch / fast_fps, 3),
        "fast_path": fast_path_name(dev),
        "compile_seconds": round(compile_s, 1),
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
    }


def run_engine_bench(
    video: str,
    checkpoint: str | None = None,
    device: str = "auto",
    batch: int = 8,
    fast: bool = True,
    max_frames: int = 0,
) -> dict:
    """End-to-end frame rate of the engine on a real video: decode, preprocess, model, postprocess.

    The first batch (compilation, warm-up) is timed separately and left out of the rate.
    """
    from inference.engine import Engine
    from inference.io import probe

    src = probe(video)
    t_load = time.perf_counter()
    engine = Engine.from_checkpoint(checkpoint, device=device, batch=batch, fast=fast)
    frames = src.frames()
    first = [next(frames) for _ in range(min(batch, src.count))]
    engine.predict_batch(first)
    warmup_s = time.perf_counter() - t_load
    n, pending = 0, []
    t0 = time.perf_counter()
    for frame in frames:
        pending.append(frame)
        if len(pending) == batch:
            engine.predict_batch(pending, n)
            n += len(pending)
            pending = []
            if max_frames and n >= max_frames:
                break
    if pending and not (max_frames and n >= max_frames):
        engine.predict_batch(pending, n)
        n += len(pending)
    seconds = time.perf_counter() - t0
    return {
        "video": str(src.path),
        "frames": n,
        "frame_size": f"{src.width}x{src.height}",
        "model_input": engine.size,
        "batch": batch,
        "engine_fps": round(n / seconds, 2),
        "warmup_seconds": round(warmup_s, 1),
        "fast_path": fast_path_name(engine.device) if fast else "eager fp32",
        "device": str(engine.device),
        "threads": torch.get_num_threads(),
    }
