"""JPEG previews of frames and still images: thumbnails in lists, the review player's fallback frames."""

from __future__ import annotations

import cv2
import numpy as np

# JPEG quality of previews; the mask editor loads lossless PNG frames instead.
PREVIEW_JPEG_QUALITY = 85


def preview_jpeg(image: np.ndarray, width: int | None = None) -> bytes:
    """A BGR image as JPEG, scaled down to `width` pixels wide when given (never up)."""
    if width and width < image.shape[1]:
        height = max(1, round(image.shape[0] * width / image.shape[1]))
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, PREVIEW_JPEG_QUALITY])[1].tobytes()
