"""Realtime flows one way: services commit, then broadcast here; consumers forward to browsers."""

from __future__ import annotations

from webapp.realtime import group_send


def video_group(video_id: int) -> str:
    return f"video-{video_id}"


def broadcast(video_id: int, payload: dict) -> None:
    """Send payload to every websocket watching the video (best effort: webapp.realtime.group_send)."""
    group_send(video_group(video_id), payload)
