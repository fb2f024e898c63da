"""Realtime flows one way (STYLE.md 4): services commit, then send to a channel-layer group here; consumers
authenticate, join the group and forward. Shared by the video progress and training-run sockets."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

# Close codes (4000-4999 are the application's): the client should not retry these. A socket is refused by
# accepting it and closing it at once with one of them: a close before the handshake's accept is turned by the
# server (daphne, uvicorn) into an HTTP 403 answer, which a browser reports as close code 1006, indistinguishable from
# a network failure (so the review UI would reconnect forever instead of asking to log in).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


def group_send(group: str, payload: dict) -> None:
    """Send payload to every socket in the group. Best effort: a broken Redis connection must not fail the work
    that is being reported (the database holds the truth; clients can poll the API)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "forward", "payload": payload})
    except Exception:  # noqa: BLE001 - any transport error
        log.exception("could not send to group %s", group)


class GroupForwardConsumer(AsyncJsonWebsocketConsumer):
    """A one-way socket: subclasses say who may listen (`allowed`), what must exist (`visible`, run in a thread
    with database access) and which group it joins (`group_name`)."""

    group: str | None = None
    url_kwarg = "id"

    def allowed(self, user) -> bool:
        raise NotImplementedError

    def visible(self, user, object_id: int) -> bool:
        raise NotImplementedError

    def group_name(self, object_id: int) -> str:
        raise NotImplementedError

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not self.allowed(user):
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        object_id = self.scope["url_route"]["kwargs"][self.url_kwarg]
        if not await database_sync_to_async(self.visible)(user, object_id):
            await self.refuse(CLOSE_NOT_FOUND)
            return
        self.group = self.group_name(object_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def refuse(self, code: int) -> None:
        """Accept, then close with `code` at once: the client sees the code (see CLOSE_UNAUTHENTICATED)."""
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        pass  # one-way: server to browser

    async def forward(self, event: dict) -> None:
        await self.send_json(event["payload"])
