"""The engine's fast path: which runtime runs the model, chosen per device and CPU, prepared once and cached.

Paths, best first per CPU (`python -m inference bench --size 448 --batch 1 --json --dice`, 2-core AMD EPYC with
AVX512-BF16, torch 2.13, OpenVINO 2026.4, 2026-12-07, load average 1.5 from other work on the machine):
    inductor-bf16   AOTInductor package (freezing) + channels_last + bf16 autocast: CPUs with native bf16.
                    16.0 FPS, test Dice 0.8638 (fp32 0.8641); OpenVINO int8 ran at 17.4 FPS there but lost 0.0024
                    Dice, and bf16 wins unless int8 is faster at equal Dice. On CUDA: torch.compile in process.
    openvino-int8   OpenVINO int8 (NNCF, calibrated on Kvasir-SEG, SCM laterals in fp32): CPUs without native
                    bf16 (AVX2, AVX-512 without BF16, or a capped ISA), where its validation Dice is within 0.005
                    of fp32's. ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2: 12.2 FPS, test Dice 0.8612,
                    against 11.9 FPS for compiled fp32 and 7.2 for eager fp32.
    inductor-fp32   AOTInductor package (freezing) + channels_last in fp32: where neither is available.
The benchmark also measures PT2E int8 through Inductor (torchao X86InductorQuantizer): 11.8 FPS native, and 9.5 FPS
capped to AVX2 with test Dice 0.772 there (probably u8 x s8 pair sums saturating in 16 bits without VNNI; not
investigated), so it is never chosen.

Every unavailable path is skipped with its reason (logged, and kept in `FastModel.skipped`), never silently.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from inference.compiled_cache import CacheKey, Loaded, load_or_build
from inference.runtime import CpuIsa, autocast_dtype, cpu_isa

log = logging.getLogger(__name__)

# Validation images the int8 Dice gate scores (all of Kvasir-SEG's validation split: 100 images).
GATE_IMAGES = 0


@dataclass
class FastModel:
    """A prepared model: `model` maps a channels_last float (N, 3, H, W) tensor to (N, 1, H, W) logits."""

    model: nn.Module
    path: str  # e.g. "openvino-int8"
    description: str
    amp_dtype: torch.dtype | None  # autocast dtype the engine wraps calls in (None: fp32 in, the path decides)
    skipped: dict[str, str] = field(default_factory=dict)  # path -> why it was not used
    seconds: float = 0.0  # preparing it: quantizing/compiling when cold, loading when warm
    cached: bool = False  # loaded from the compiled cache (warm start)
    info: dict = field(default_factory=dict)


class PathUnavailable(Exception):
    """This path cannot run here (a runtime missing, no calibration data, Dice out of bounds)."""


def preferred_paths(device: torch.device, isa: CpuIsa | None = None) -> list[str]:
    """The paths to try, best first, for this device and CPU."""
    if device.type != "cpu":
        return ["inductor-" + ("bf16" if autocast_dtype(device) == torch.bfloat16 else "fp16")]
    isa = isa or cpu_isa()
    if isa.native_bf16 and autocast_dtype(device) == torch.bfloat16:
        # bf16 keeps fp32's Dice (0.8638 vs 0.8641); OpenVINO int8 was 9% faster but lost 0.0024 (module docstring).
        return ["inductor-bf16", "inductor-fp32"]
    return ["openvino-int8", "inductor-fp32"]


def describe(path: str, device: torch.device) -> str:
    return {
        "inductor-bf16": f"torch.compile(freezing)+channels_last+bf16 on {device.type}",
        "inductor-fp16": f"torch.compile(freezing)+channels_last+fp16 on {device.type}",
        "inductor-fp32": f"torch.compile(freezing)+channels_last+fp32 on {device.type}",
        "openvino-int8": "openvino int8 (nncf, Kvasir-SEG calibrated; SCM laterals fp32) on cpu",
        "inductor-int8": "pt2e int8 (torchao X86InductorQuantizer)+torch.compile(freezing) on cpu",
        "eager-fp32": f"eager fp32 on {device.type}",
        "torch.compile": f"torch.compile(freezing)+channels_last in process, {autocast_dtype(device) or 'fp32'}",
    }[path]


def cache_key(meta: dict, device: torch.device, path: str, runtime_version: str) -> CacheKey:
    return CacheKey(
        checkpoint_sha256=str(meta["sha256"]),
        device=str(device),
        path=path,
        cpu_isa=str(cpu_isa()) if device.type == "cpu" else "n/a",
        torch_version=torch.__version__,
        runtime_version=runtime_version,
    )


def prepare(
    model: nn.Module,
    meta: dict,
    device: torch.device,
    cache_dir: Path | str | None = None,
    paths: list[str] | None = None,
) -> FastModel:
    """The first of `paths` (default: preferred_paths) that works here; `model` is the eager channels_last model."""
    skipped: dict[str, str] = {}
    for path in paths or preferred_paths(device):
        t0 = time.perf_counter()
        try:
            fast = _BUILDERS[path](model, meta, device, cache_dir)
        except PathUnavailable as exc:
            skipped[path] = str(exc)
            log.warning("fast path %s skipped: %s", path, exc)
            continue
        except Exception as exc:  # a runtime that fails on this model (export, conversion): the next path
            skipped[path] = f"failed: {type(exc).__name__}: {exc}"[:500]
            log.exception("fast path %s failed; trying the next one", path)
            continue
        fast.skipped, fast.seconds = skipped, fast.seconds or time.perf_counter() - t0
        return fast
    return FastModel(model, "eager-fp32", describe("eager-fp32", device), None, skipped)


# --- torch.compile (Inductor) ------------------------------------------------------------------------------------


def compile_inductor(model: nn.Module) -> nn.Module:
    """torch.compile with weights frozen into the graph (BN folded into convs)."""
    import torch._inductor.config as inductor_config

    inductor_config.freezing = True
    return torch.compile(model, dynamic=False)  # type: ignore[return-value]


def _inductor(precision: str):
    def build(model: nn.Module, meta: dict, device: torch.device, cache_dir: Path | str | None) -> FastModel:
        from inference.inductor_cache import warm_compile

        path = f"inductor-{precision}"
        amp = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}[precision]
        t0 = time.perf_counter()
        try:
            compiled, seconds, cached = warm_compile(model, meta, device, path, amp, cache_dir)
        except Exception as exc:  # AOTInductor cannot package this model: compile in process (no warm start)
            log.warning("AOTInductor package of %s failed (%r); compiling in process", path, exc)
            return FastModel(compile_inductor(model), path, describe(path, device), amp,
                             seconds=time.perf_counter() - t0, info={"aoti_failed": f"{type(exc).__name__}: {exc}"})
        return FastModel(compiled, path, describe(path, device), amp, seconds=seconds, cached=cached)

    return build


# --- OpenVINO int8 -----------------------------------------------------------------------------------------------


def _openvino_int8(model: nn.Module, meta: dict, device: torch.device, cache_dir: Path | str | None) -> FastModel:
    if device.type != "cpu":
        raise PathUnavailable("OpenVINO's CPU plugin runs on the CPU only")
    try:
        import nncf
        import openvino as ov
    except ImportError as exc:
        raise PathUnavailable(f"{exc.name} is not installed (pip install openvino nncf)") from exc
    from inference.quantize import compile_openvino, dice_gate, openvino_int8, recipe, split_dice, split_inputs

    size = int(meta.get("input_size", 448))
    isa = cpu_isa()

    def build(folder: Path) -> dict:
        try:
            calibration = split_inputs(size, "train")
        except Exception as exc:  # no dataset here: DatasetError, or unreadable files
            raise PathUnavailable(f"no calibration data ({exc})") from exc
        t0 = time.perf_counter()
        quantized = openvino_int8(model, calibration)
        ov.save_model(quantized, str(folder / "model.xml"), compress_to_fp16=False)
        quantize_s = time.perf_counter() - t0
        int8 = compile_openvino(quantized, torch.get_num_threads(), isa.native_bf16)
        fp32_dice = split_dice(model, meta, "val", GATE_IMAGES)
        int8_dice = split_dice(int8, meta, "val", GATE_IMAGES)
        return {
            "calibration_images": len(calibration),
            "quantize_seconds": round(quantize_s, 1),
            "val_dice_fp32": round(fp32_dice, 5),
            "val_dice_int8": round(int8_dice, 5),
            "dice_ok": dice_gate(fp32_dice, int8_dice),
            "openvino": ov.__version__,
        }

    def load(folder: Path, info: dict):
        if not info.get("dice_ok"):
            return None
        core = ov.Core()
        # Read the weights into memory: a memory-mapped model.bin that is replaced or truncated on disk (another
        # process rebuilding a corrupt entry) would crash this one with SIGBUS.
        core.set_property({"ENABLE_MMAP": False})
        return compile_openvino(core.read_model(str(folder / "model.xml")), torch.get_num_threads(), isa.native_bf16)

    version = f"openvino-{ov.__version__}+nncf-{nncf.__version__}+recipe-{recipe()}"
    loaded: Loaded = load_or_build(cache_key(meta, device, "openvino-int8", version), build, load, cache_dir)
    info = loaded.info
    if loaded.value is None:
        raise PathUnavailable(
            f"int8 validation Dice {info['val_dice_int8']} is not within 0.005 of fp32's {info['val_dice_fp32']}"
        )
    return FastModel(loaded.value, "openvino-int8", describe("openvino-int8", device), None,
                     seconds=loaded.seconds, cached=not loaded.built, info=info)


_BUILDERS = {
    "inductor-bf16": _inductor("bf16"),
    "inductor-fp16": _inductor("fp16"),
    "inductor-fp32": _inductor("fp32"),
    "openvino-int8": _openvino_int8,
}
