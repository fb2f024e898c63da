from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from inference.synthetic import write_sample_video
from webapp.accounts.models import User
from webapp.studies.models import Study
from webapp.videos.models import Video
from webapp.videos.services import video_upload


def video_bytes(tmp_path: Path, frames: int = 12, size: tuple[int, int] = (64, 48), fps: float = 10.0,
                seed: int = 0) -> bytes:
    """A small MP4 (mp4v) from inference.synthetic; its middle third shows a polyp. Made once per shape and seed."""
    return _video_bytes(frames, size, fps, seed)


@functools.cache
def _video_bytes(frames: int, size: tuple[int, int], fps: float, seed: int) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return write_sample_video(Path(tmp) / "sample.mp4", frames=frames, size=size, fps=fps, seed=seed).read_bytes()


def upload_file(data: bytes, name: str = "clip.mp4") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="video/mp4")


def make_video(tmp_path: Path, study: Study, user: User, frames: int = 12) -> Video:
    """Through the upload service. The n-th video of a study is drawn with seed n: the same file twice in one
    study is refused (409 duplicate_video), and the first video of a study stays the same everywhere."""
    seed = Video.objects.filter(study=study).count()
    return video_upload(study=study, upload=upload_file(video_bytes(tmp_path, frames, seed=seed)), user=user)
