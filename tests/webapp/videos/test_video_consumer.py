"""The websocket at /ws/videos/{id}/ through the real ASGI app and the real Redis channel layer."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from tests.webapp.videos.factories import make_video
from webapp.asgi import application
from webapp.videos.consumers import CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED
from webapp.videos.progress import broadcast

# The consumer reads the database from another thread: the rows must be committed.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("async_db_connections")]

ORIGIN = [(b"origin", b"http://testserver")]


def communicator(path: str, headers: list | None = None) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=ORIGIN + (headers or []))


@pytest.fixture
def video(tmp_path, owner):
    return make_video(tmp_path, make_study(owner), owner, frames=8)


def test_a_token_holder_receives_what_the_services_broadcast(video, owner):
    token = Token.objects.create(user=owner).key

    async def scenario():
        ws = communicator(f"/ws/videos/{video.pk}/?token={token}")
        connected, _ = await ws.connect()
        assert connected
        await sync_to_async(broadcast)(video.pk, {"type": "progress", "frames_done": 4})
        assert await ws.receive_json_from(timeout=5) == {"type": "progress", "frames_done": 4}
        await sync_to_async(broadcast)(video.pk + 1, {"type": "progress", "frames_done": 1})  # another video
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    asyncio.run(scenario())


def test_a_session_cookie_authenticates_too(video, owner):
    client = Client()
    client.force_login(owner)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def scenario():
        ws = communicator(f"/ws/videos/{video.pk}/", [(b"cookie", cookie)])
        connected, _ = await ws.connect()
        assert connected
        await ws.disconnect()

    asyncio.run(scenario())


@pytest.fixture
def in_memory_layer(settings):
    # Refusals happen before the socket joins any group: they test authentication, not Redis.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


async def refused_with(path: str) -> int | None:
    ws = communicator(path)
    connected, code = await ws.connect()
    if connected and not await ws.receive_nothing(timeout=0.2):  # refused: accepted, then closed with a code
        message = await ws.receive_output(timeout=1)
        code = message.get("code") if message["type"] == "websocket.close" else None
        connected = code is None
    await ws.disconnect()  # let the application end by itself rather than be cancelled at loop exit
    return None if connected else code


@pytest.mark.usefixtures("in_memory_layer")
@pytest.mark.parametrize("query", ["", "?token=not-a-token"])
def test_unauthenticated_sockets_are_refused(video, query):
    assert asyncio.run(refused_with(f"/ws/videos/{video.pk}/{query}")) == CLOSE_UNAUTHENTICATED


@pytest.mark.usefixtures("in_memory_layer")
def test_another_users_or_an_unknown_video_is_refused(video):
    token = Token.objects.create(user=make_user()).key
    for video_id in (video.pk, 999999):
        assert asyncio.run(refused_with(f"/ws/videos/{video_id}/?token={token}")) == CLOSE_NOT_FOUND
