"""Resumable uploads driven as a client drives them: start a session, PUT parts where the session says, complete.
A local-disk part goes through the app (the test client, or real HTTP); an S3 part to its presigned URL over HTTP."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

VIDEO_FIELDS = ("original_name", "checksum", "size_bytes", "fps", "frame_count", "duration_s", "width", "height",
                "status", "uploaded_by_id", "frames_done", "error")


def part_bytes(data: bytes, session: dict, number: int) -> bytes:
    size = session["part_size"]
    return data[(number - 1) * size:number * size]


def start(api_client, study_id: int, data: bytes, name: str = "clip.mp4"):
    return api_client.post(f"/api/studies/{study_id}/uploads/", {"filename": name, "size": len(data)},
                           format="json")


def put_part(api_client, session: dict, data: bytes, number: int, body: bytes | None = None):
    """One part through the app (local disk: its URL, also for a part sent again) or straight to the bucket (S3: the
    presigned URL the session gives for a missing part)."""
    body = part_bytes(data, session, number) if body is None else body
    if session["backend"] == "local":
        return api_client.put(f"/api/uploads/{session['id']}/parts/{number}/", body,
                              content_type="application/octet-stream")
    url = next(u["url"] for u in api_client.get(f"/api/uploads/{session['id']}/").json()["part_urls"]
               if u["number"] == number)
    request = urllib.request.Request(url, data=body, method="PUT",  # no credentials: the URL is the permission
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status


def send(api_client, session: dict, data: bytes, numbers: Iterable[int] | None = None) -> None:
    for number in numbers if numbers is not None else range(1, session["part_count"] + 1):
        answer = put_part(api_client, session, data, number)
        status = answer if isinstance(answer, int) else answer.status_code
        assert status == 200, getattr(answer, "content", answer)


def upload_in_parts(api_client, study_id: int, data: bytes, name: str = "clip.mp4"):
    """Start, send every part, complete: the completion's response."""
    started = start(api_client, study_id, data, name)
    assert started.status_code == 201, started.content
    send(api_client, started.json(), data)
    return api_client.post(f"/api/uploads/{started.json()['id']}/complete/")


def noise_video(path: Path, frames: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """An MJPEG AVI of random noise: ~210 KB a 640 x 480 frame (noise does not compress), so a few seconds of it pass
    S3's 5 MiB part minimum; it decodes in milliseconds."""
    rng = np.random.default_rng(frames)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, size)
    for _ in range(frames):
        writer.write(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()
    return path.read_bytes()


def files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()
