"""The demo that `make run` loads once: a study with a few Kvasir-SEG images with ground truth and one
CVC-ColonDB video, and three more patients' studies of CVC-ColonDB frames with ground truth (sequences 2-4 as
still images), so that an admin can try the retraining loop at once: labels of four patients give a train and a
holdout side. From the shared datasets when present, synthetic otherwise."""

from __future__ import annotations

import csv
import json
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
# More patients for the retraining loop: CVC-ColonDB sequences as still images with ground truth (sequence 1 is
# the demo video). About 25 frames each: a fine-tuning run on them takes a few minutes on two CPU cores.
DEMO_SEQUENCES = (2, 3, 4)
# The demo's Kvasir-SEG images come from the fixed split's train part: the gate scores the test part, and a demo
# that trained on test images would hide forgetting.
SPLIT_FILE = Path(__file__).resolve().parents[2] / "inference" / "splits" / "kvasir-seg.json"


def demo_study_ensure(*, owner: User, datasets: Path) -> tuple[Study, bool]:
    """The demo study, made on first call: (study, created). Later calls return it unchanged."""
    existing = Study.objects.filter(patient__pseudo_id=DEMO_PATIENT).order_by("pk").first()
    if existing is not None:
        return existing, False
    # All rows or none, so that a failed start loads the demo again next time.
    with tempfile.TemporaryDirectory(prefix="polypscope-demo-") as tmp, transaction.atomic():
        kvasir = datasets / "kvasir-seg"
        if (kvasir / "images").is_dir():
            kvasir = _subset(kvasir, _kvasir_train_ids(kvasir)[:DEMO_IMAGES], Path(tmp) / "kvasir-demo")
        else:
            kvasir = _synthetic_kvasir(Path(tmp) / "kvasir-seg", DEMO_IMAGES)
        study = study_import_kvasir(owner=owner, folder=kvasir, patient_pseudo_id=DEMO_PATIENT, limit=DEMO_IMAGES)
        video = datasets / DEMO_VIDEO
        if not video.is_file():
            video = write_sample_video(Path(tmp) / "synthetic-colonoscopy.mp4")
        with video.open("rb") as fh:
            # Through the same service as an HTTP upload: validated, stored, queued for the worker.
            video_upload(study=study, upload=File(fh, name=video.name), user=owner)
        colondb = datasets / "cvc-colondb"
        for n, sequence in enumerate(DEMO_SEQUENCES, start=2):
            folder = Path(tmp) / f"colondb-seq{sequence:02d}"
            if (colondb / "sequences.csv").is_file():
                _subset(colondb, _colondb_frames(colondb, sequence), folder)
            else:
                _synthetic_kvasir(folder, DEMO_IMAGES, seed=sequence)
            study_import_kvasir(owner=owner, folder=folder, patient_pseudo_id=f"DEMO-{n:04d}",
                                source_name=f"CVC-ColonDB sequence {sequence}")
    return study, True


def _kvasir_train_ids(kvasir: Path) -> list[str]:
    wanted = set(json.loads(SPLIT_FILE.read_text())["train"])
    return sorted(p.stem for p in (kvasir / "images").iterdir() if p.stem in wanted)


def _colondb_frames(colondb: Path, sequence: int) -> list[str]:
    with (colondb / "sequences.csv").open() as fh:
        return [row["frame"] for row in csv.DictReader(fh) if int(row["sequence"]) == sequence]


def _subset(dataset: Path, stems: list[str], folder: Path) -> Path:
    """A Kvasir-style folder of links to the chosen images and their masks (nothing is copied)."""
    for part in ("images", "masks"):
        (folder / part).mkdir(parents=True)
        by_stem = {p.stem: p for p in (dataset / part).iterdir()}
        for stem in stems:
            if stem in by_stem:
                (folder / part / by_stem[stem].name).symlink_to(by_stem[stem].resolve())
    return folder


def _synthetic_kvasir(folder: Path, count: int, seed: int = 2021) -> Path:
    """A Kvasir-SEG style folder (images/*.jpg, masks/*.png) of synthetic frames with a polyp each."""
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir()
    rng = np.random.default_rng(seed)
    for i in range(count):
        polyp = (rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7), rng.uniform(0.08, 0.2))
        frame, mask = synthetic_frame(288, 320, rng, polyp)
        cv2.imwrite(str(folder / "images" / f"synthetic-{i:02d}.jpg"), frame)
        cv2.imwrite(str(folder / "masks" / f"synthetic-{i:02d}.png"), mask.astype(np.uint8) * 255)
    return folder
