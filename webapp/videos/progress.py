"""Realtime flows one way: services commit, then broadcast here; consumers forward to browsers."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


def video_group(video_id: int) -> str:
    return f"video-{video_id}"


def broadcast(video_id: int, payload: dict) -> None:
    """Send payload to every websocket watching the video. Best effort: a broken Redis connection must
    not fail the processing of a video (the database holds the truth; clients can poll the API)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(video_group(video_id), {"type": "video.message", "payload": payload})
    except Exception:  # noqa: BLE001 - any transport error
        log.exception("could not broadcast progress of video %s", video_id)
