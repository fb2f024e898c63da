"""/ws/training-runs/{id}/: a fine-tuning run's progress (admins). Authenticate, join the group, forward."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from webapp.mlops.models import TrainingRun
from webapp.mlops.runs import run_group
from webapp.videos.consumers import CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED


class TrainingRunConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_admin:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        run_id = self.scope["url_route"]["kwargs"]["run_id"]
        if not await database_sync_to_async(TrainingRun.objects.filter(pk=run_id).exists)():
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = run_group(run_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        pass  # one-way: server to browser

    async def run_message(self, event: dict) -> None:
        await self.send_json(event["payload"])
