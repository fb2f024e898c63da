from __future__ import annotations

import datetime as dt
import itertools
import zipfile
from pathlib import Path

import cv2
import numpy as np

from inference.synthetic import synthetic_frame
from webapp.accounts.models import User
from webapp.studies.models import Study
from webapp.studies.services import study_create

_seq = itertools.count()


def make_study(owner: User, pseudo_id: str | None = None) -> Study:
    return study_create(owner=owner, patient_pseudo_id=pseudo_id or f"P-{next(_seq):04d}", date=dt.date(2026, 11, 2),
                        indication="screening")


def kvasir_zip(path: Path, n: int = 3, root: str = "", extra: dict[str, bytes] | None = None,
               masks: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """A small Kvasir-SEG zip at path: <root>images/img<i>.jpg and <root>masks/img<i>.png (0/255) of 40 x 56
    synthetic frames, plus extra members (name -> bytes). masks: stem -> (40, 56) bool, replacing the
    synthetic polyp. Returns each image's mask by original file name."""
    rng = np.random.default_rng(0)
    out = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(n):
            frame, mask = synthetic_frame(40, 56, rng, (0.5, 0.5, 0.2))
            mask = (masks or {}).get(f"img{i}", mask)
            zf.writestr(f"{root}images/img{i}.jpg", cv2.imencode(".jpg", frame)[1].tobytes())
            zf.writestr(f"{root}masks/img{i}.png", cv2.imencode(".png", mask.astype(np.uint8) * 255)[1].tobytes())
            out[f"img{i}.jpg"] = mask
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out
