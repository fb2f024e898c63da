"""The model over still images (worker-only: it runs the engine, so it imports torch).

A still image's prediction is a studies.Mask with source model and the model version that made it, so the
editor of a still image starts from the model's outline as a frame's editor does from its FrameResult.
"""

from __future__ import annotations

from collections.abc import Iterable

from inference.io import read_image
from webapp import media
from webapp.mlops.engines import engine_for
from webapp.mlops.services import model_version_ensure_active
from webapp.studies.models import Mask, MaskSource, StillImage
from webapp.videos import rle


def still_images_predict(*, image_ids: Iterable[int]) -> int:
    """Store the active model version's mask of each image that has none from it yet; returns how many it ran.

    Idempotent: images already predicted by this version, or deleted since, are skipped, and the unique
    constraint one_model_mask_per_version drops a prediction that a concurrent run stored first.
    """
    version = model_version_ensure_active()
    engine = engine_for(version)
    done = Mask.objects.filter(source=MaskSource.MODEL, model_version=version).values("image_id")
    images = list(StillImage.objects.filter(pk__in=list(image_ids)).exclude(pk__in=done).order_by("id"))
    stored = 0
    for start in range(0, len(images), engine.batch):
        batch = images[start:start + engine.batch]
        pixels = []
        for image in batch:
            with media.local_copy(image.file.name) as path:  # remote storage: a download, removed afterwards
                pixels.append(read_image(path))
        results = engine.predict_batch(pixels)
        created = Mask.objects.bulk_create(
            [Mask(image=image, source=MaskSource.MODEL, model_version=version, rle=rle.encode(result.mask))
             for image, result in zip(batch, results, strict=True)],
            ignore_conflicts=True,
        )
        stored += len(created)
    return stored
