"""Make the 1080p H.264 test video from the ColonDB one: every frame upscaled to 1920 x 1080, encoded once.

    python manage.py make_hd_video --out .data/bench/colondb_1080p.mp4 [--video FILE] [--size 1920x1080] [--crf 18]

Real colonoscope recordings are HD, and decoding, resizing and post-processing cost grows with the pixels, so the
pipeline is measured at 1080p too (`bench_pipeline --engine stub --video .data/bench/colondb_1080p.mp4`). The file is
made on the machine that measures and never committed (about 30 MB). Encoded by the `ffmpeg` program (libx264; on
Debian `apt-get install ffmpeg`), else by OpenCV's `avc1` writer where its FFmpeg has an H.264 encoder (the PyPI
wheels have none); the result is checked to be H.264 with the source's frame count and rate.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import cv2
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DEFAULT_VIDEO = settings.BASE_DIR.parent / "shared" / "datasets" / "videos" / "colondb_all_25fps_hold5.mp4"
# x264's visually lossless range starts near 18; the upscaled frames then keep the source's detail, and the file
# decodes like a real HD recording (CABAC, B-frames: the `medium` preset's defaults).
DEFAULT_CRF = 18


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise CommandError(f"--size takes WIDTHxHEIGHT, got {text!r}") from exc
    if width < 2 or height < 2 or width % 2 or height % 2:
        raise CommandError("--size: H.264 (yuv420p) needs even sizes of at least 2")
    return width, height


class Command(BaseCommand):
    help = "Upscale a video to 1920x1080 and encode it once as H.264 (the pipeline's HD test video)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
        parser.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT (default 1920x1080)")
        parser.add_argument("--crf", type=int, default=DEFAULT_CRF)

    def handle(self, *args, out: Path, video: Path, size: str, crf: int, **options) -> None:
        width, height = _size(size)
        if not video.is_file():
            raise CommandError(f"{video}: file not found")
        source = cv2.VideoCapture(str(video))
        fps = source.get(cv2.CAP_PROP_FPS) or 25.0
        source.release()
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".part.mp4")
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg:
            self._ffmpeg(ffmpeg, video, tmp, width, height, crf)
        else:
            self._opencv(video, tmp, width, height, fps)
        frames, codec = self._check(tmp, width, height)
        expected = self._count(video)
        if frames != expected:
            tmp.unlink(missing_ok=True)
            raise CommandError(f"the encoded video has {frames} frames, the source {expected}")
        tmp.replace(out)
        self.stdout.write(f"{out}: {width}x{height} {codec}, {frames} frames at {fps:g} fps, "
                          f"{out.stat().st_size / 1e6:.1f} MB (from {video}, encoded by "
                          f"{'ffmpeg/libx264' if ffmpeg else 'OpenCV'})")

    def _ffmpeg(self, ffmpeg: str, video: Path, out: Path, width: int, height: int, crf: int) -> None:
        # One output frame per input frame (-fps_mode passthrough), bicubic upscale, the pixel format every H.264
        # decoder takes, the index at the front of the file.
        command = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(video), "-an",
                   "-vf", f"scale={width}:{height}:flags=bicubic", "-fps_mode", "passthrough",
                   "-c:v", "libx264", "-preset", "medium", "-crf", str(crf), "-pix_fmt", "yuv420p",
                   "-movflags", "+faststart", str(out)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise CommandError(f"ffmpeg failed: {done.stderr.strip()[-2000:]}")

    def _opencv(self, video: Path, out: Path, width: int, height: int, fps: float) -> None:
        writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"avc1"), fps, (width, height))
        if not writer.isOpened():
            raise CommandError("no H.264 encoder: install ffmpeg (apt-get install ffmpeg); OpenCV's FFmpeg has none")
        source = cv2.VideoCapture(str(video))
        try:
            while True:
                ok, frame = source.read()
                if not ok:
                    break
                writer.write(cv2.resize(frame, (width, height), interpolation=cv2.INTER_CUBIC))
        finally:
            source.release()
            writer.release()

    def _check(self, path: Path, width: int, height: int) -> tuple[int, str]:
        cap = cv2.VideoCapture(str(path))
        try:
            codec = int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode("ascii", "replace")
            size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        finally:
            cap.release()
        if codec.lower() not in ("avc1", "h264"):
            raise CommandError(f"{path}: encoded as {codec!r}, not H.264")
        if size != (width, height):
            raise CommandError(f"{path}: {size[0]}x{size[1]}, not {width}x{height}")
        return self._count(path), codec

    @staticmethod
    def _count(path: Path) -> int:
        cap = cv2.VideoCapture(str(path))
        n = 0
        try:
            while cap.grab():
                n += 1
        finally:
            cap.release()
        return n
