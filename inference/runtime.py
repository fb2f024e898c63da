"""Device and precision choices shared by training, the engine and the benchmark.

The CPU's instruction set decides the fast path (bf16 where it is native, int8 elsewhere). Two environment
variables cap it below what the CPU has, and both are honoured, so an AVX2-only machine can be measured on an
AVX-512 one: ONEDNN_MAX_CPU_ISA caps oneDNN (convolutions, in PyTorch and in OpenVINO) and ATEN_CPU_CAPABILITY
caps ATen's and Inductor's vectorised kernels. `torch.ops.mkldnn._is_mkldnn_bf16_supported()` reads the CPU
flags and need not reflect ONEDNN_MAX_CPU_ISA, so the effective ISA is worked out from the flags and both caps.
"""

from __future__ import annotations

import functools
import os
import platform
from dataclasses import dataclass
from pathlib import Path

import torch

# Levels in increasing order, named as printed in `cpu_isa`.
LEVELS = ("baseline", "avx2", "avx2_vnni", "avx512", "avx512_vnni", "avx512_bf16", "amx")
# oneDNN's ISA names (docs: "CPU ISA hints", ONEDNN_MAX_CPU_ISA) -> the highest of our levels they allow.
_ONEDNN_CAP = {
    "SSE41": "baseline",
    "AVX": "baseline",
    "AVX2": "avx2",
    "AVX2_VNNI": "avx2_vnni",
    "AVX2_VNNI_2": "avx2_vnni",
    "AVX512_CORE": "avx512",
    "AVX512_CORE_VNNI": "avx512_vnni",
    "AVX512_CORE_BF16": "avx512_bf16",
    "AVX10_1_512": "avx512_bf16",
    "AVX512_CORE_FP16": "avx512_bf16",
    "AVX10_1_512_AMX": "amx",
    "AVX512_CORE_AMX": "amx",
    "AVX10_1_512_AMX_FP16": "amx",
    "AVX512_CORE_AMX_FP16": "amx",
    "AVX10_2_512": "amx",
    "AVX10_2_512_AMX_2": "amx",
    "ALL": "amx",
    "DEFAULT": "amx",
}
# ATen's capabilities (ATEN_CPU_CAPABILITY) -> the highest level they allow.
_ATEN_CAP = {"default": "baseline", "avx2": "avx2", "avx512": "amx"}


@dataclass(frozen=True)
class CpuIsa:
    """The instruction set this process may use: the CPU's flags, lowered by the environment's caps."""

    level: str  # one of LEVELS
    hardware: str  # what the CPU's flags alone allow
    capped_by: tuple[str, ...]  # the environment variables that lowered it, if any

    @property
    def native_bf16(self) -> bool:
        return LEVELS.index(self.level) >= LEVELS.index("avx512_bf16")

    def __str__(self) -> str:
        return f"{self.level} (capped by {', '.join(self.capped_by)})" if self.capped_by else self.level


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _hardware_level(flags: set[str]) -> str:
    if not flags:  # no /proc/cpuinfo (macOS, Windows): trust what ATen detected
        cap = torch.backends.cpu.get_cpu_capability().lower()
        return "avx512" if cap.startswith("avx512") else "avx2" if cap == "avx2" else "baseline"
    if "amx_bf16" in flags:
        return "amx"
    if "avx512_bf16" in flags:
        return "avx512_bf16"
    if "avx512f" in flags:
        return "avx512_vnni" if "avx512_vnni" in flags else "avx512"
    if "avx2" in flags:
        return "avx2_vnni" if "avx_vnni" in flags else "avx2"
    return "baseline"


def detect_cpu_isa(environ: dict[str, str] | None = None, flags: set[str] | None = None) -> CpuIsa:
    """The effective ISA from the CPU's flags and the ONEDNN_MAX_CPU_ISA / ATEN_CPU_CAPABILITY caps."""
    env = os.environ if environ is None else environ
    hardware = _hardware_level(_cpu_flags() if flags is None else flags)
    level, capped_by = hardware, []
    caps = (
        ("ONEDNN_MAX_CPU_ISA", _ONEDNN_CAP, str.upper),
        ("DNNL_MAX_CPU_ISA", _ONEDNN_CAP, str.upper),  # oneDNN's older name of the same cap
        ("ATEN_CPU_CAPABILITY", _ATEN_CAP, str.lower),
    )
    for var, table, norm in caps:
        value = norm(env.get(var, "").strip())
        if value in table and LEVELS.index(table[value]) < LEVELS.index(hardware):
            capped_by.append(var)
            if LEVELS.index(table[value]) < LEVELS.index(level):
                level = table[value]
    return CpuIsa(level, hardware, tuple(capped_by))


@functools.cache
def cpu_isa() -> CpuIsa:
    """This process's effective ISA (the environment is read once: oneDNN and ATen also read it once)."""
    return detect_cpu_isa()


def cpu_model_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def pick_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but no CUDA device is available")
    return device


def cpu_has_fast_bf16() -> bool:
    """True where oneDNN runs bf16 natively (AVX512-BF16 or AMX, not capped below it); elsewhere bf16 is
    emulated and slow."""
    if not cpu_isa().native_bf16:
        return False
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """bf16 on CUDA and on CPUs with native bf16; None (fp32) elsewhere."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cpu_has_fast_bf16() else None
