"""What a mask is drawn on: a frame of a video or a still image. Its own module so that the label selector
(labels.py) and the other selectors can both name it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.studies.models import StillImage
from webapp.videos.models import Video


@dataclass(frozen=True)
class MaskTarget:
    """What a mask revision is drawn on: frame `frame_index` of `video`, or a still `image`."""

    video: Video | None = None
    frame_index: int | None = None
    image: StillImage | None = None

    @property
    def height(self) -> int:
        return self.video.height if self.video is not None else self.image.height  # type: ignore[union-attr]

    @property
    def width(self) -> int:
        return self.video.width if self.video is not None else self.image.width  # type: ignore[union-attr]

    @property
    def study_id(self) -> int:
        return self.video.study_id if self.video is not None else self.image.study_id  # type: ignore[union-attr]

    def fields(self) -> dict:
        """Model fields that name this target (for filters and for creating a revision)."""
        if self.video is not None:
            return {"video": self.video, "frame_index": self.frame_index}
        return {"image": self.image}

    def describe(self) -> dict:
        if self.video is not None:
            return {"video": self.video.pk, "frame": self.frame_index}
        return {"image": self.image.pk}  # type: ignore[union-attr]
