"""On-disk cache of prepared models (quantized or compiled), so a worker starts warm.

An entry is a folder named by the hash of its key: the checkpoint's sha256, the device, the fast path, the
effective CPU ISA and the versions of torch and of the runtime. Anything in the key that differs (another
checkpoint, an ISA cap, an upgraded torch) is a different folder, never a stale hit. An entry is built in a
temporary folder and renamed into place with its `entry.json` written last, so a crash leaves no half entry;
an entry that fails to load (corrupt or truncated files, a key that does not match) is removed and rebuilt.

The folder is POLYPSCOPE_COMPILED_CACHE, or the `root` the caller passes (the web app passes its setting),
else ~/.cache/polypscope/compiled.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

ENV_VAR = "POLYPSCOPE_COMPILED_CACHE"
ENTRY_FILE = "entry.json"
T = TypeVar("T")


def cache_root(root: Path | str | None = None) -> Path:
    if root is not None:
        return Path(root)
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env) if env else Path.home() / ".cache" / "polypscope" / "compiled"


@dataclass(frozen=True)
class CacheKey:
    checkpoint_sha256: str
    device: str
    path: str  # the fast path's name, e.g. "openvino-int8"
    cpu_isa: str
    torch_version: str
    runtime_version: str  # the version of the runtime the entry was built with (openvino, torch)

    def folder_name(self) -> str:
        digest = hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()
        return f"{self.path}-{digest[:20]}"


@dataclass
class Loaded:
    """What `load_or_build` returns: the loaded object, the entry's info and whether it was built now."""

    value: Any
    info: dict
    built: bool
    seconds: float  # building and loading (cold) or loading (warm)
    folder: Path


class EntryError(Exception):
    """An entry on disk that cannot be used (a loader raises it, or any other error, to have it rebuilt)."""


def load_or_build(
    key: CacheKey,
    build: Callable[[Path], dict],
    load: Callable[[Path, dict], T],
    root: Path | str | None = None,
) -> Loaded:
    """The entry of `key`, loaded; built first when missing, corrupt or stale.

    build(folder) writes the entry's files into an empty folder and returns a JSON-ready info dict;
    load(folder, info) turns them into the object to use and raises on anything wrong with them.
    """
    import time

    t0 = time.perf_counter()
    base = cache_root(root)
    folder = base / key.folder_name()
    if (folder / ENTRY_FILE).is_file() or folder.exists():
        try:
            info = json.loads((folder / ENTRY_FILE).read_text())
            if info.get("key") != asdict(key):
                raise EntryError(f"its key {info.get('key')} is not {asdict(key)}")
            value = load(folder, info)
            return Loaded(value, info, False, time.perf_counter() - t0, folder)
        except Exception as exc:  # a corrupt entry fails in many ways (json, OpenVINO, zip); all mean rebuild
            log.warning("compiled cache: rebuilding %s (%s: %s)", folder, type(exc).__name__, exc)
            shutil.rmtree(folder, ignore_errors=True)
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=base))
    try:
        info = {**build(tmp), "key": asdict(key)}
        (tmp / ENTRY_FILE).write_text(json.dumps(info, indent=1))
        try:
            tmp.rename(folder)
        except OSError:  # another process finished the same entry first: use that one
            shutil.rmtree(tmp, ignore_errors=True)
            info = json.loads((folder / ENTRY_FILE).read_text())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    value = load(folder, info)
    return Loaded(value, info, True, time.perf_counter() - t0, folder)
