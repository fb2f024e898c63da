"""/ws/videos/{id}/: progress and events of one video. Authenticate, join the group, forward; nothing else."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from webapp.accounts.models import Role
from webapp.videos.progress import video_group
from webapp.videos.selectors import video_get_visible

# Close codes (4000-4999 are the application's): the client should not retry these.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


class VideoProgressConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.has_role(Role.GASTROENTEROLOGIST, Role.ANNOTATOR):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        video_id = self.scope["url_route"]["kwargs"]["video_id"]
        try:
            await database_sync_to_async(video_get_visible)(user=user, video_id=video_id)
        except Http404:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = video_group(video_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        pass  # the socket is one-way: server to browser

    async def video_message(self, event: dict) -> None:
        await self.send_json(event["payload"])
