"""The demo study that `make run` loads once: a few Kvasir-SEG images with ground truth and one
CVC-ColonDB video from the shared datasets when present, synthetic ones otherwise."""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np
from django.core.files import File
from django.db import transaction

from inference.synthetic import synthetic_frame, write_sample_video
from webapp.accounts.models import User
from webapp.studies.importers import study_import_kvasir
from webapp.studies.models import Study
from webapp.videos.services import video_upload

DEMO_PATIENT = "DEMO-0001"
# Eight images: enough to page through in the review UI, quick to import (about a second).
DEMO_IMAGES = 8
DEMO_VIDEO = Path("videos") / "colondb_seq01_5fps.mp4"


def demo_study_ensure(*, owner: User, datasets: Path) -> tuple[Study, bool]:
    """The demo study, made on first call: (study, created). Later calls return it unchanged."""
    existing = Study.objects.filter(patient__pseudo_id=DEMO_PATIENT).order_by("pk").first()
    if existing is not None:
        return existing, False
    # All rows or none, so that a failed start loads the demo again next time.
    with tempfile.TemporaryDirectory(prefix="polypscope-demo-") as tmp, transaction.atomic():
        kvasir = datasets / "kvasir-seg"
        if not (kvasir / "images").is_dir():
            kvasir = _synthetic_kvasir(Path(tmp) / "kvasir-seg", DEMO_IMAGES)
        study = study_import_kvasir(owner=owner, folder=kvasir, patient_pseudo_id=DEMO_PATIENT, limit=DEMO_IMAGES)
        video = datasets / DEMO_VIDEO
        if not video.is_file():
            video = write_sample_video(Path(tmp) / "synthetic-colonoscopy.mp4")
        with video.open("rb") as fh:
            # Through the same service as an HTTP upload: validated, stored, queued for the worker.
            video_upload(study=study, upload=File(fh, name=video.name), user=owner)
    return study, True


def _synthetic_kvasir(folder: Path, count: int) -> Path:
    """A Kvasir-SEG style folder (images/*.jpg, masks/*.png) of synthetic frames with a polyp each."""
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir()
    rng = np.random.default_rng(2021)
    for i in range(count):
        polyp = (rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7), rng.uniform(0.08, 0.2))
        frame, mask = synthetic_frame(288, 320, rng, polyp)
        cv2.imwrite(str(folder / "images" / f"synthetic-{i:02d}.jpg"), frame)
        cv2.imwrite(str(folder / "masks" / f"synthetic-{i:02d}.png"), mask.astype(np.uint8) * 255)
    return folder
