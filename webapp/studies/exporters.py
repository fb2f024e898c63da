"""Export a study's labels (the newest ground-truth or person mask of each image) to the Kvasir-SEG layout
(a zip: images/<id>.jpg, masks/<id>.png with 0/255) or to COCO JSON (RLE segmentation, bbox, area).

<id> is the image's original file stem when that is a plain, unique name (a re-import then keeps the
Kvasir-SEG ids), else the StillImage's primary key. Every export is audited.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import PurePath
from typing import IO, Any

import cv2
import numpy as np

from webapp.accounts.models import User
from webapp.audit.models import Action
from webapp.audit.services import audit_record
from webapp.studies.models import Mask, StillImage, Study
from webapp.studies.selectors import study_masks_for_export
from webapp.videos import rle

# COCO has one category here; id 1 because COCO reserves 0 for the background.
POLYP_CATEGORY = {"id": 1, "name": "polyp", "supercategory": "polyp"}
_SAFE_STEM = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# Images spill from memory to disk above this size while the zip is built (a whole study can be GBs).
_SPOOL_BYTES = 32 * 1024 * 1024


def _stems(images: list[StillImage]) -> dict[int, str]:
    stems = {image.pk: PurePath(image.original_name).stem for image in images}
    counts: dict[str, int] = {}
    for stem in stems.values():
        counts[stem] = counts.get(stem, 0) + 1
    return {pk: stem if _SAFE_STEM.match(stem) and counts[stem] == 1 and not stem.isdigit() else str(pk)
            for pk, stem in stems.items()}


def _jpeg_bytes(image: StillImage) -> bytes:
    """The stored file as JPEG: a JPEG is copied byte for byte (no second lossy pass), others re-encoded."""
    with image.file.open("rb") as fh:
        data = fh.read()
    if PurePath(image.file.name).suffix.lower() in (".jpg", ".jpeg"):
        return data
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 95])
    if not ok:
        raise ValueError(f"could not encode image {image.pk} as JPEG")
    return encoded.tobytes()


def _decode(mask: Mask, image: StillImage) -> np.ndarray:
    return rle.decode(mask.rle, image.height, image.width)


def _audit(user: User, study: Study, fmt: str, pairs: list[tuple[StillImage, Mask | None]]) -> None:
    audit_record(actor=user, action=Action.EXPORT, target=study,
                 detail={"format": fmt, "images": len(pairs), "masks": sum(m is not None for _, m in pairs)})


def study_export_kvasir(*, study: Study, user: User) -> IO[bytes]:
    """A Kvasir-SEG zip in a temporary file, positioned at its start (the caller streams and closes it).

    Images without a label get no mask file (as in a folder import, where a missing mask means none).
    """
    pairs = study_masks_for_export(study=study)
    stems = _stems([image for image, _ in pairs])
    out = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
    # JPEG and PNG are compressed already: storing them costs nothing and keeps the export fast.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for image, mask in pairs:
            stem = stems[image.pk]
            zf.writestr(f"images/{stem}.jpg", _jpeg_bytes(image))
            if mask is not None:
                ok, png = cv2.imencode(".png", _decode(mask, image).astype(np.uint8) * 255)
                if not ok:
                    raise ValueError(f"could not encode mask {mask.pk} as PNG")
                zf.writestr(f"masks/{stem}.png", png.tobytes())
    _audit(user, study, "kvasir", pairs)
    out.seek(0)
    return out


def _bbox(mask: np.ndarray) -> list[int]:
    """[x, y, width, height] in pixels of the smallest box holding every mask pixel (COCO's toBbox)."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return [int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)]


def study_export_coco(*, study: Study, user: User) -> dict[str, Any]:
    """COCO instances JSON: one image entry per image, one annotation per non-empty label.

    segmentation is compressed RLE ({"size": [h, w], "counts": str}), which is how masks are stored
    (webapp.videos.rle matches pycocotools), so pycocotools.mask.decode reads it as it is.
    """
    pairs = study_masks_for_export(study=study)
    stems = _stems([image for image, _ in pairs])
    images, annotations = [], []
    for image, mask in pairs:
        images.append({"id": image.pk, "file_name": f"images/{stems[image.pk]}.jpg",
                       "width": image.width, "height": image.height})
        if mask is None:
            continue
        pixels = _decode(mask, image)
        area = int(pixels.sum())
        if area == 0:  # an empty label says "no polyp": an image without annotations says the same in COCO
            continue
        annotations.append({
            "id": mask.pk, "image_id": image.pk, "category_id": POLYP_CATEGORY["id"], "iscrowd": 0,
            "segmentation": {"size": [image.height, image.width], "counts": mask.rle},
            "area": area, "bbox": _bbox(pixels), "source": mask.source,
        })
    _audit(user, study, "coco", pairs)
    return {
        "info": {"description": f"Polypscope study {study.pk}", "date_created": study.date.isoformat()},
        "images": images, "annotations": annotations, "categories": [POLYP_CATEGORY],
    }
