"""API tokens expire TOKEN_TTL_HOURS (12) after they were issued: 401 saying so, over HTTP and the websocket
(4401); logging in again issues a fresh token."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from tests.webapp.accounts.factories import PASSWORD, make_user
from tests.webapp.studies.factories import make_study

pytestmark = pytest.mark.django_db


def _login(api_client, user) -> str:
    response = api_client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()["token"]


def _age(key: str, hours: float) -> None:
    """What time does to a token: it was issued `hours` ago."""
    Token.objects.filter(key=key).update(created=Token.objects.get(key=key).created - dt.timedelta(hours=hours))


def test_a_token_works_until_its_ttl_then_gets_401_saying_it_expired(api_client, settings):
    assert settings.TOKEN_TTL_HOURS == 12
    user = make_user()
    key = _login(api_client, user)
    _age(key, 11.9)
    assert api_client.get("/api/studies/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    _age(key, 0.2)
    response = api_client.get("/api/studies/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert "the token expired at" in response.json()["detail"] and "log in again" in response.json()["detail"]
    fresh = _login(api_client, user)
    assert fresh != key and not Token.objects.filter(key=key).exists()
    assert api_client.get("/api/studies/", HTTP_AUTHORIZATION=f"Token {fresh}").status_code == 200
    assert _login(api_client, user) == fresh  # an unexpired token is handed out again


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("async_db_connections")
def test_an_expired_token_opens_no_websocket(api_client, settings, tmp_path):
    from tests.webapp.videos.factories import make_video
    from webapp.asgi import application
    from webapp.realtime import CLOSE_UNAUTHENTICATED

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    user = make_user()
    video = make_video(tmp_path, make_study(user), user, frames=4)
    key = _login(api_client, user)

    async def answer(token: str) -> int | None:
        ws = WebsocketCommunicator(application, f"/ws/videos/{video.pk}/?token={token}",
                                   headers=[(b"origin", b"http://testserver")])
        connected, _ = await ws.connect()
        assert connected  # accepted, then closed with the code the client can read
        if await ws.receive_nothing(timeout=0.3):
            await ws.disconnect()
            return None
        message = await ws.receive_output(timeout=1)
        await ws.disconnect()
        return message.get("code")

    assert asyncio.run(answer(key)) is None
    _age(key, 12.1)
    assert asyncio.run(answer(key)) == CLOSE_UNAUTHENTICATED
    assert asyncio.run(answer("%00")) == CLOSE_UNAUTHENTICATED  # a NUL never reaches PostgreSQL
