"""Websocket auth by `?token=<DRF token>` for clients that cannot send cookies (session auth also works)."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware

from webapp.accounts.selectors import user_get_by_token


class TokenQueryAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        token = parse_qs(scope.get("query_string", b"").decode()).get("token", [""])[0]
        if token:
            user = await database_sync_to_async(user_get_by_token)(token=token)
            if user is not None:
                scope = dict(scope, user=user)
        return await super().__call__(scope, receive, send)
