"""make_hd_video: the HD test video is H.264, of the asked size, with every frame of its source."""

from __future__ import annotations

import io
import shutil

import cv2
from django.core.management import call_command

from inference.synthetic import write_sample_video


def test_it_upscales_every_frame_into_an_h264_file(tmp_path):
    # make test installs ffmpeg (Makefile deploy-tools): missing, this fails instead of skipping.
    assert shutil.which("ffmpeg"), "needs the ffmpeg program: make deploy-tools (apt-get install ffmpeg)"
    source = write_sample_video(tmp_path / "small.mp4", frames=9, size=(64, 48), fps=25.0)
    out = tmp_path / "hd" / "big.mp4"
    text = io.StringIO()
    call_command("make_hd_video", out=out, video=source, size="128x96", stdout=text)
    cap = cv2.VideoCapture(str(out))
    codec = int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode()
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    frames = 0
    while cap.grab():
        frames += 1
    cap.release()
    assert codec in ("avc1", "h264") and size == (128, 96) and frames == 9
    assert "9 frames" in text.getvalue() and not list(out.parent.glob("*.part.mp4"))
