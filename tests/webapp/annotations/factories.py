from __future__ import annotations

import numpy as np

from webapp.videos import rle
from webapp.videos.models import PolypEvent, Video


def make_event(video: Video, start: int, end: int, peak: int | None = None, score: float = 0.9) -> PolypEvent:
    peak = start if peak is None else peak
    fps = video.fps or 10.0
    return PolypEvent.objects.create(video=video, start_index=start, end_index=end, peak_index=peak, peak_score=score,
                                     start_s=start / fps, end_s=(end + 1) / fps)


def square_rle(height: int, width: int, top: int = 2, left: int = 3, size: int = 5) -> tuple[str, np.ndarray]:
    mask = np.zeros((height, width), dtype=bool)
    mask[top:top + size, left:left + size] = True
    return rle.encode(mask), mask
