"""Speed benchmark: eager fp32, the fast path and every candidate runtime, from one run on one machine.

`python -m inference bench --size 448 --batch 1 --json [--dice] [--start]`. The model is the shipped
checkpoint (or --checkpoint), so the int8 candidates are calibrated on real Kvasir-SEG images; `--variant`
benchmarks random weights of another architecture instead (speed does not depend on the weights).
Each candidate is prepared cold in a fresh cache folder (compile_seconds) and then loaded from it as a
restarted worker would (load_seconds). `--dice` scores eager fp32 and each int8 candidate on the Kvasir-SEG
test split; `--start` times a fresh process from its start to its first frame's result, cold then warm.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from inference.engine import fast_path_name
from inference.models import ModelConfig, build_model, count_flops, count_params
from inference.runtime import autocast_dtype, cpu_isa, cpu_model_name, pick_device

# "torch.compile": the fast path before the compiled cache (in-process compile at the CPU's precision), to
# show what the AOTInductor package costs or gains.
CANDIDATES = ("inductor-bf16", "inductor-fp32", "openvino-int8", "inductor-int8", "torch.compile")


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


def _model(checkpoint: str | None, variant: str | None, size: int, dev: torch.device) -> tuple[nn.Module, dict]:
    from inference.checkpoint import default_checkpoint, load_checkpoint

    if variant:
        model = build_model(ModelConfig(variant=variant))
        meta = {"sha256": f"random-{variant}", "input_size": size, "random_weights": True}
    else:
        model, meta = load_checkpoint(checkpoint or default_checkpoint())
        meta = {**meta, "input_size": size}
    return model.eval().to(dev).to(memory_format=torch.channels_last), meta


def _candidate(name: str, model: nn.Module, meta: dict, dev: torch.device, cache: Path):
    """(callable model, amp dtype, cold seconds, warm load seconds or None, info) of one candidate."""
    from inference import fastpath

    if name == "inductor-bf16" and autocast_dtype(dev) != torch.bfloat16:
        raise fastpath.PathUnavailable(f"no native bf16 on this CPU (cpu_isa {cpu_isa()})")
    if name == "torch.compile":
        amp = autocast_dtype(dev)
        t0 = time.perf_counter()
        compiled = fastpath.compile_inductor(model)
        with torch.no_grad(), torch.autocast(dev.type, dtype=amp or torch.bfloat16, enabled=amp is not None):
            compiled(torch.randn(1, 3, int(meta["input_size"]), int(meta["input_size"]), device=dev))
        return compiled, amp, time.perf_counter() - t0, None, {"note": "compiled in process: no warm start"}
    if name == "inductor-int8":
        if dev.type != "cpu":
            raise fastpath.PathUnavailable("the x86 Inductor quantizer targets the CPU")
        try:
            import torchao  # noqa: F401
        except ImportError as exc:
            raise fastpath.PathUnavailable("torchao is not installed (pip install torchao)") from exc
        from inference.quantize import pt2e_int8, split_inputs

        t0 = time.perf_counter()
        try:
            calibration = split_inputs(int(meta["input_size"]), "train")
        except Exception as exc:
            raise fastpath.PathUnavailable(f"no calibration data ({exc})") from exc
        compiled = fastpath.compile_inductor(pt2e_int8(model, calibration))
        x = calibration[:1].contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            compiled(x)  # compiles
        return compiled, None, time.perf_counter() - t0, None, {"note": "compiled in process: no warm start"}
    cold = fastpath.prepare(model, meta, dev, cache, paths=[name])
    if cold.path != name:
        raise fastpath.PathUnavailable(cold.skipped.get(name, "unavailable"))
    warm = fastpath.prepare(model, meta, dev, cache, paths=[name])  # as a restarted worker: from the cache
    return warm.model, warm.amp_dtype, cold.seconds, warm.seconds if warm.cached else None, cold.info


def run_bench(
    size: int = 448,
    batch: int = 1,
    variant: str | None = None,
    iters: int = 30,
    device: str = "auto",
    checkpoint: str | None = None,
    dice: bool = False,
    start: bool = False,
) -> dict:
    if size % 16 or size < 16:
        raise ValueError(f"--size must be a positive multiple of 16, got {size}")
    from inference import fastpath

    dev = pick_device(device)
    model, meta = _model(checkpoint, variant, size, dev)
    x = torch.randn(batch, 3, size, size, device=dev).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        eager = _fps(lambda: model(x), dev, batch, iters)
    result: dict = {
        "variant": variant or meta.get("model_config", {}).get("variant", "scrnet"),
        "checkpoint_sha256": meta["sha256"],
        "size": size,
        "batch": batch,
        "params": count_params(model),
        "gflops_per_frame": round(count_flops(model, size) / 1e9, 3),
        "eager_fp32_fps": round(eager, 2),
        "eager_fp32_ms_per_batch": round(1000 * batch / eager, 3),
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "machine": cpu_model_name(),
        "cores": os.cpu_count(),
        "cpu_isa": str(cpu_isa()),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    candidates: dict[str, dict] = {}
    runners: dict[str, tuple[nn.Module, torch.dtype | None]] = {}
    with tempfile.TemporaryDirectory(prefix="polypscope-bench-cache-") as cache:
        # compile_seconds are cold only with an empty Inductor cache as well (its FX graph cache is per user).
        os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(Path(cache) / "inductor"))
        for name in CANDIDATES:
            try:
                runner, amp, cold_s, warm_s, info = _candidate(name, model, meta, dev, Path(cache))
            except fastpath.PathUnavailable as exc:
                candidates[name] = {"skipped": str(exc)}
                continue

            def call(runner=runner, amp=amp) -> torch.Tensor:
                with torch.autocast(dev.type, dtype=amp or torch.bfloat16, enabled=amp is not None):
                    return runner(x)

            with torch.inference_mode():
                fps = _fps(call, dev, batch, iters)
            runners[name] = (runner, amp)
            candidates[name] = {
                "description": fastpath.describe(name, dev),
                "fps": round(fps, 2),
                "ms_per_batch": round(1000 * batch / fps, 3),
                "compile_seconds": round(cold_s, 1),
                "load_seconds": None if warm_s is None else round(warm_s, 2),
                **{k: v for k, v in info.items() if k.startswith(("val_dice", "calibration", "quantize", "note"))},
            }
            if name == "openvino-int8" and dev.type == "cpu":
                from inference.quantize import openvino_primitives

                candidates[name]["primitives"] = openvino_primitives(runner)  # type: ignore[arg-type]
    chosen = next((p for p in fastpath.preferred_paths(dev) if p in runners), None)
    result["fast_path"] = fastpath.describe(chosen, dev) if chosen else fast_path_name(dev) + " (unavailable)"
    result["fast_path_name"] = chosen or "eager-fp32"
    best = candidates.get(chosen or "", {})
    fast_fps = best.get("fps", result["eager_fp32_fps"])
    result |= {
        "fast_fps": fast_fps,
        "fast_ms_per_batch": round(1000 * batch / fast_fps, 3),
        "compile_seconds": best.get("compile_seconds", 0.0),
        "load_seconds": best.get("load_seconds"),
        "candidates": candidates,
    }
    if dice:
        result["test_dice"] = _test_dice(model, meta, runners, variant)
    if start:
        result["start"] = time_starts(checkpoint, str(dev))
    return result


def _test_dice(model: nn.Module, meta: dict, runners: dict, variant: str | None) -> dict:
    """Kvasir-SEG test-split Dice of eager fp32 and of each candidate that ran (int8 first)."""
    if variant:
        return {"skipped": "random weights (--variant): Dice is meaningless"}
    from inference.quantize import DICE_TOLERANCE, split_dice

    out: dict = {"eager-fp32": round(split_dice(model, meta, "test"), 5)}
    for name in sorted(runners, key=lambda n: not n.endswith("int8")):
        runner, amp = runners[name]

        def call(x: torch.Tensor, runner=runner, amp=amp) -> torch.Tensor:
            with torch.autocast("cpu", dtype=amp or torch.bfloat16, enabled=amp is not None):
                return runner(x).float()

        out[name] = round(split_dice(call, meta, "test"), 5)  # type: ignore[arg-type]
    out["within_tolerance"] = {n: out["eager-fp32"] - d <= DICE_TOLERANCE for n, d in out.items() if n != "eager-fp32"}
    return out


def time_starts(checkpoint: str | None, device: str) -> dict:
    """Seconds from a fresh process's start to its engine's first frame result (fast path), with an empty
    compiled cache (cold: quantize or compile) and then with the entry it left (warm: load)."""
    with tempfile.TemporaryDirectory(prefix="polypscope-start-cache-") as cache:
        runs = {}
        for label in ("cold", "warm"):
            cmd = [sys.executable, "-m", "inference.bench", "--first-frame", cache, device]
            if checkpoint:
                cmd.append(str(checkpoint))
            # A fresh Inductor cache too: its FX graph cache (/tmp/torchinductor_$USER) would make "cold" warm.
            env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": str(Path(cache) / "inductor")}
            t0 = time.time()
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
            if proc.returncode != 0:
                runs[label] = {"error": proc.stderr.strip().splitlines()[-1:]}
                continue
            child = json.loads(proc.stdout.strip().splitlines()[-1])
            runs[label] = {"seconds_to_first_result": round(child["first_result_at"] - t0, 1),
                           "fast_path": child["fast_path"]}
        return runs


def _first_frame(cache: str, device: str, checkpoint: str | None) -> None:
    """A worker's start: load the engine's fast path and segment one frame; print when the result was ready."""
    import numpy as np

    from inference.engine import Engine

    engine = Engine.from_checkpoint(checkpoint, device=device, fast=True, batch=1, cache_dir=cache)
    frame = np.random.default_rng(0).integers(0, 255, (500, 574, 3), dtype=np.uint8)  # a ColonDB frame's size
    engine.predict_batch([frame])
    print(json.dumps({"first_result_at": time.time(), "fast_path": engine.meta["fast_path"]}))


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
        "fast_path": fast_path_name(engine.device, engine.meta) if fast else "eager fp32",
        "device": str(engine.device),
        "threads": torch.get_num_threads(),
    }


if __name__ == "__main__" and len(sys.argv) >= 4 and sys.argv[1] == "--first-frame":
    _first_frame(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
