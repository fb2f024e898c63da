"""Writes rle.fixtures.json from the server implementation (webapp/videos/rle.py), so the TypeScript
codec is tested against the real Python output. Run from the repository root:
    .venv/bin/python frontend/src/mask/make_rle_fixtures.py frontend/src/mask/rle.fixtures.json
"""
import importlib.util, json, sys
from pathlib import Path
import numpy as np
spec = importlib.util.spec_from_file_location("rle", Path(__file__).resolve().parents[3] / "webapp" / "videos" / "rle.py")
rle = importlib.util.module_from_spec(spec); spec.loader.exec_module(rle)
rng = np.random.default_rng(20240611)
cases = []
def add(name, m):
    m = np.asarray(m, dtype=bool)
    h, w = m.shape
    s = rle.encode(m)
    assert (rle.decode(s, h, w) == m).all()
    cases.append({"name": name, "height": h, "width": w,
                  "mask": "".join("1" if v else "0" for v in m.ravel(order="C")),
                  "counts": rle.run_lengths(m), "rle": s})
add("empty 4x6", np.zeros((4, 6)))
add("full 4x6", np.ones((4, 6)))
m = np.zeros((5, 7)); m[0, 0] = 1; add("first pixel set 5x7", m)
m = np.zeros((5, 7)); m[-1, -1] = 1; add("last pixel set 5x7", m)
m = np.zeros((5, 7)); m[0, 1:] = 1; add("top row but first 5x7 (row-major vs column-major)", m)
add("random noise 7x5", rng.random((7, 5)) < 0.5)
add("random noise 5x7", rng.random((5, 7)) < 0.3)
yy, xx = np.mgrid[:80, :100]
blob = ((yy - 30) ** 2 + (xx - 40) ** 2 < 15 ** 2) | ((yy - 60) ** 2 / 9 + (xx - 75) ** 2 / 100 < 10)
add("two blobs 80x100", blob)
yy, xx = np.mgrid[:100, :80]
add("disc 100x80", (yy - 50) ** 2 + (xx - 35) ** 2 < 30 ** 2)
# Long runs produce differences that need several 5-bit groups and negative values
m = np.zeros((150, 120)); m[:, 100:] = 1; m[10:20, 5] = 1; add("long runs 150x120", m)
add("sparse noise 64x48", rng.random((64, 48)) < 0.05)
json.dump(cases, open(sys.argv[1], "w"), indent=None, separators=(",", ":"))
print(len(cases), [c["rle"][:30] for c in cases])
