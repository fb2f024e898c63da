"""A channel layer for the embedded mode: in memory, safe to send to from the worker thread.

channels' InMemoryChannelLayer keeps asyncio queues that belong to the server's event loop. The Celery
worker thread broadcasts through `async_to_sync`, which runs on another loop in another thread: putting
into those queues from there neither is thread-safe nor wakes the server's loop. So every operation
is carried out on the loop the consumers receive on (the first loop that calls receive()).
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import InMemoryChannelLayer


class ThreadSafeInMemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._home: asyncio.AbstractEventLoop | None = None

    async def _at_home(self, coro: Any) -> Any:
        home, here = self._home, asyncio.get_running_loop()
        if home is None or home is here or home.is_closed():
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, home))

    async def receive(self, channel: str) -> dict:
        if self._home is None or self._home.is_closed():
            self._home = asyncio.get_running_loop()
        return await super().receive(channel)

    async def send(self, channel: str, message: dict) -> None:
        await self._at_home(super().send(channel, message))

    async def group_send(self, group: str, message: dict) -> None:
        await self._at_home(super().group_send(group, message))

    async def group_add(self, group: str, channel: str) -> None:
        await self._at_home(super().group_add(group, channel))

    async def group_discard(self, group: str, channel: str) -> None:
        await self._at_home(super().group_discard(group, channel))
