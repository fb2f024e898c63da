"""Export a study's current labels (webapp.annotations.labels) to the Kvasir-SEG layout (a zip: images/<id>.jpg,
masks/<id>.png with 0/255) or to COCO JSON (RLE segmentation, bbox, area).

Every still image is exported, with its label when it has one (a revision, else its ground truth); every video
frame that a person labelled is exported as an image decoded from the video, `v<video id>_f<frame>`, with its
mask. A still image's <id> is its original file stem when that is a plain, unique name (a re-import then keeps
the Kvasir-SEG ids), else the StillImage's primary key. Every export is audited.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

import cv2
import numpy as np

from webapp import media
from webapp.accounts.models import User
from webapp.annotations.labels import Label, current_labels
from webapp.audit.models import Action
from webapp.audit.services import audit_record
from webapp.studies.models import StillImage, Study
from webapp.videos import rle
from webapp.videos.models import Video

# COCO has one category here; id 1 because COCO reserves 0 for the background.
POLYP_CATEGORY = {"id": 1, "name": "polyp", "supercategory": "polyp"}
_SAFE_STEM = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# Images spill from memory to disk above this size while the zip is built (a whole study can be GBs).
_SPOOL_BYTES = 32 * 1024 * 1024
# Reading on to the next wanted frame is exact; seeking is faster past this many frames (at 30 fps, 10 s)
# and is what the editor's frame image does (webapp.videos.selectors), so both show the same frame.
_SEEK_AFTER_FRAMES = 300
_JPEG_QUALITY = 95


@dataclass(frozen=True)
class _Entry:
    """One exported image: a still image or a labelled video frame, with its label (None: no mask file)."""

    stem: str
    height: int
    width: int
    label: Label | None
    image: StillImage | None = None


def _still_stems(images: list[StillImage], taken: set[str]) -> dict[int, str]:
    stems = {image.pk: PurePath(image.original_name).stem for image in images}
    counts: dict[str, int] = {}
    for stem in stems.values():
        counts[stem] = counts.get(stem, 0) + 1
    return {pk: stem if _SAFE_STEM.match(stem) and counts[stem] == 1 and not stem.isdigit() and stem not in taken
            else str(pk) for pk, stem in stems.items()}


def _frame_stem(label: Label) -> str:
    return f"v{label.video_id}_f{label.frame_index}"


def _entries(study: Study) -> list[_Entry]:
    """Labelled frames (videos by id, then frame), then every still image by id."""
    labels = current_labels(study_ids=[study.pk])
    frames = [_Entry(_frame_stem(lb), lb.height, lb.width, lb) for lb in labels if lb.kind == "frame"]
    by_image = {lb.image_id: lb for lb in labels if lb.kind == "image"}
    images = list(StillImage.objects.filter(study=study).order_by("id"))
    stems = _still_stems(images, {entry.stem for entry in frames})
    stills = [_Entry(stems[image.pk], image.height, image.width, by_image.get(image.pk), image) for image in images]
    return frames + stills


def _jpeg_bytes(image: StillImage) -> bytes:
    """The stored file as JPEG: a JPEG is copied byte for byte (no second lossy pass), others re-encoded."""
    with image.file.open("rb") as fh:
        data = fh.read()
    if PurePath(image.file.name).suffix.lower() in (".jpg", ".jpeg"):
        return data
    return _encode_jpeg(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), f"image {image.pk}")


def _encode_jpeg(pixels: np.ndarray, what: str) -> bytes:
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
    if not ok:
        raise ValueError(f"could not encode {what} as JPEG")
    return encoded.tobytes()


def _video_frames(video: Video, indices: list[int]) -> Iterator[tuple[int, np.ndarray]]:
    """The frames `indices` (ascending) of the stored video, decoded: (index, (H, W, 3) uint8 BGR)."""
    with media.local_copy(video.file.name) as path:
        cap = cv2.VideoCapture(str(path))
        try:
            position = 0  # the index of the frame the next read returns
            for index in indices:
                if index - position > _SEEK_AFTER_FRAMES:
                    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
                    position = index
                while position < index:
                    if not cap.grab():
                        break
                    position += 1
                ok, frame = cap.read()
                if not ok:
                    raise ValueError(f"frame {index} of video {video.pk} could not be decoded")
                position += 1
                yield index, frame
        finally:
            cap.release()


def _frame_jpegs(entries: list[_Entry]) -> dict[str, bytes]:
    """The JPEG of every frame entry, by stem; each video opened once and read in frame order."""
    wanted: dict[int, list[int]] = {}
    for entry in entries:
        if entry.image is None and entry.label is not None:
            wanted.setdefault(entry.label.video_id, []).append(entry.label.frame_index)  # type: ignore[arg-type]
    out: dict[str, bytes] = {}
    for video in Video.objects.filter(pk__in=wanted).order_by("id"):
        for index, frame in _video_frames(video, sorted(wanted[video.pk])):
            out[f"v{video.pk}_f{index}"] = _encode_jpeg(frame, f"frame {index} of video {video.pk}")
    return out


def _decode(label: Label) -> np.ndarray:
    return rle.decode(label.rle, label.height, label.width)


def _audit(user: User, study: Study, fmt: str, entries: list[_Entry]) -> None:
    audit_record(actor=user, action=Action.EXPORT, target=study,
                 detail={"format": fmt, "images": len(entries), "masks": sum(e.label is not None for e in entries)})


def study_export_kvasir(*, study: Study, user: User) -> IO[bytes]:
    """A Kvasir-SEG zip in a temporary file, positioned at its start (the caller streams and closes it).

    Images without a label get no mask file (as in a folder import, where a missing mask means none).
    """
    entries = _entries(study)
    frames = _frame_jpegs(entries)
    out = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
    # JPEG and PNG are compressed already: storing them costs nothing and keeps the export fast.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for entry in entries:
            jpeg = _jpeg_bytes(entry.image) if entry.image is not None else frames[entry.stem]
            zf.writestr(f"images/{entry.stem}.jpg", jpeg)
            if entry.label is not None:
                ok, png = cv2.imencode(".png", _decode(entry.label).astype(np.uint8) * 255)
                if not ok:
                    raise ValueError(f"could not encode the mask of {entry.stem} as PNG")
                zf.writestr(f"masks/{entry.stem}.png", png.tobytes())
    _audit(user, study, "kvasir", entries)
    out.seek(0)
    return out


def _bbox(mask: np.ndarray) -> list[int]:
    """[x, y, width, height] in pixels of the smallest box holding every mask pixel (COCO's toBbox)."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return [int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)]


def study_export_coco(*, study: Study, user: User) -> dict[str, Any]:
    """COCO instances JSON: one image entry per exported image, one annotation per non-empty label.

    Image and annotation ids count from 1 in export order (stills and frames share one id space); each image
    also names what it is (`still_image_id`, or `video_id` and `frame_index`), each annotation where its mask
    came from (`source`: revision or ground_truth, with `revision_id` or `mask_id`).
    segmentation is compressed RLE ({"size": [h, w], "counts": str}), which is how masks are stored
    (webapp.videos.rle matches pycocotools), so pycocotools.mask.decode reads it as it is.
    """
    entries = _entries(study)
    images, annotations = [], []
    for image_id, entry in enumerate(entries, start=1):
        origin = ({"still_image_id": entry.image.pk} if entry.image is not None
                  else {"video_id": entry.label.video_id, "frame_index": entry.label.frame_index})  # type: ignore[union-attr]
        images.append({"id": image_id, "file_name": f"images/{entry.stem}.jpg", "width": entry.width,
                       "height": entry.height, **origin})
        label = entry.label
        if label is None:
            continue
        pixels = _decode(label)
        area = int(pixels.sum())
        if area == 0:  # an empty label says "no polyp": an image without annotations says the same in COCO
            continue
        annotations.append({
            "id": len(annotations) + 1, "image_id": image_id, "category_id": POLYP_CATEGORY["id"], "iscrowd": 0,
            "segmentation": {"size": [label.height, label.width], "counts": label.rle},
            "area": area, "bbox": _bbox(pixels), "source": label.source,
            "revision_id": label.revision_id, "mask_id": label.mask_id,
        })
    _audit(user, study, "coco", entries)
    return {
        "info": {"description": f"Polypscope study {study.pk}", "date_created": study.date.isoformat()},
        "images": images, "annotations": annotations, "categories": [POLYP_CATEGORY],
    }
