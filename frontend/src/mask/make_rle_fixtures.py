"""Writes rle.fixtures.json from the server implementation (webapp/videos/rle.py), so the TypeScript
codec is tested against the real Python output. Run from the repository root:
    .venv/bin/python frontend/src/mask/make_rle_fixtures.py frontend/src/mask/rle.fixtures.json
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

# Loaded by path: webapp/videos/rle.py is pure NumPy, and importing the webapp package would need Django.
_RLE_PY = Path(__file__).resolve().parents[3] / "webapp" / "videos" / "rle.py"
_spec = importlib.util.spec_from_file_location("rle", _RLE_PY)
rle = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rle)


def main(out: Path) -> None:
    rng = np.random.default_rng(20240611)
    cases: list[dict] = []

    def add(name: str, mask: np.ndarray) -> None:
        mask = np.asarray(mask, dtype=bool)
        h, w = mask.shape
        text = rle.encode(mask)
        assert (rle.decode(text, h, w) == mask).all()
        cases.append({"name": name, "height": h, "width": w,
                      "mask": "".join("1" if v else "0" for v in mask.ravel(order="C")),
                      "counts": rle.run_lengths(mask), "rle": text})

    def with_pixels(shape: tuple[int, int], *regions: tuple) -> np.ndarray:
        mask = np.zeros(shape, dtype=bool)
        for region in regions:
            mask[region] = True
        return mask

    add("empty 4x6", np.zeros((4, 6)))
    add("full 4x6", np.ones((4, 6)))
    add("first pixel set 5x7", with_pixels((5, 7), (0, 0)))
    add("last pixel set 5x7", with_pixels((5, 7), (-1, -1)))
    add("top row but first 5x7 (row-major vs column-major)", with_pixels((5, 7), (0, slice(1, None))))
    add("random noise 7x5", rng.random((7, 5)) < 0.5)
    add("random noise 5x7", rng.random((5, 7)) < 0.3)
    yy, xx = np.mgrid[:80, :100]
    blob = ((yy - 30) ** 2 + (xx - 40) ** 2 < 15 ** 2) | ((yy - 60) ** 2 / 9 + (xx - 75) ** 2 / 100 < 10)
    add("two blobs 80x100", blob)
    yy, xx = np.mgrid[:100, :80]
    add("disc 100x80", (yy - 50) ** 2 + (xx - 35) ** 2 < 30 ** 2)
    # Long runs produce differences that need several 5-bit groups and negative values.
    add("long runs 150x120", with_pixels((150, 120), (slice(None), slice(100, None)), (slice(10, 20), 5)))
    add("sparse noise 64x48", rng.random((64, 48)) < 0.05)
    out.write_text(json.dumps(cases, indent=None, separators=(",", ":")))
    print(len(cases), [c["rle"][:30] for c in cases])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
