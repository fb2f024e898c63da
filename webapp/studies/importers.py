"""Import a Kvasir-SEG style folder (images/, masks/ with the same stems) as a study with ground truth."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from pathlib import Path

import cv2
from django.conf import settings
from django.db import transaction

from inference.data import IMAGE_EXTS
from inference.errors import InputError
from inference.io import read_image
from webapp.accounts.models import User
from webapp.errors import DomainError
from webapp.studies.models import Mask, MaskSource, StillImage, Study
from webapp.studies.services import study_create
from webapp.videos import rle

# Kvasir-SEG masks are JPEGs: compression blurs the 0/255 edge, so a pixel is polyp above mid-grey.
MASK_THRESHOLD = 127


def _pairs(folder: Path) -> list[tuple[Path, Path | None]]:
    images_dir, masks_dir = folder / "images", folder / "masks"
    if not images_dir.is_dir():
        raise DomainError(f"{folder}: no images/ folder (expected the Kvasir-SEG layout: images/, masks/)")
    masks = {p.stem: p for p in masks_dir.iterdir() if p.suffix.lower() in IMAGE_EXTS} if masks_dir.is_dir() else {}
    images = sorted(p for p in images_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS)
    if not images:
        raise DomainError(f"{images_dir}: holds no images ({', '.join(IMAGE_EXTS)})")
    return [(p, masks.get(p.stem)) for p in images]


def study_import_kvasir(
    *, owner: User, folder: Path, patient_pseudo_id: str, date: dt.date | None = None, limit: int | None = None
) -> Study:
    """One study, one StillImage per image, a ground-truth Mask where masks/ has the same stem.

    All or nothing: on any bad file no row and no copied file remains.
    """
    pairs = _pairs(Path(folder))[:limit]
    media = Path(settings.MEDIA_ROOT)
    (media / "images").mkdir(parents=True, exist_ok=True)
    copied: list[Path] = []
    try:
        with transaction.atomic():
            study = study_create(owner=owner, patient_pseudo_id=patient_pseudo_id, date=date or dt.date.today(),
                                 indication=f"imported from {Path(folder).name}")
            for image_path, mask_path in pairs:
                try:
                    image = read_image(image_path)
                except InputError as exc:
                    raise DomainError(str(exc)) from exc
                relative = f"images/{uuid.uuid4().hex}{image_path.suffix.lower()}"
                shutil.copyfile(image_path, media / relative)
                copied.append(media / relative)
                height, width = image.shape[:2]
                still = StillImage.objects.create(study=study, file=relative, original_name=image_path.name,
                                                  width=width, height=height)
                if mask_path is not None:
                    mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
                    if mask is None or mask.shape != (height, width):
                        raise DomainError(f"{mask_path}: not a {width}x{height} mask image")
                    gt = rle.encode(mask > MASK_THRESHOLD)
                    Mask.objects.create(image=still, source=MaskSource.GROUND_TRUTH, rle=gt)
    except BaseException:
        for path in copied:
            path.unlink(missing_ok=True)
        raise
    return study
