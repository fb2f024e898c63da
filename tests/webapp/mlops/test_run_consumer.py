"""The websocket at /ws/training-runs/{id}/: admins only, through the real ASGI app."""

import asyncio

import pytest
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from tests.webapp.accounts.factories import make_user
from webapp.accounts.models import Role
from webapp.asgi import application
from webapp.mlops.runs import training_run_start
from webapp.videos.consumers import CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("async_db_connections")]


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


async def refused_with(path: str) -> int | None:
    ws = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://testserver")])
    connected, code = await ws.connect()
    if connected and not await ws.receive_nothing(timeout=0.2):  # refused: accepted, then closed with a code
        message = await ws.receive_output(timeout=1)
        code = message.get("code") if message["type"] == "websocket.close" else None
        connected = code is None
    await ws.disconnect()
    return None if connected else code


@pytest.mark.usefixtures("in_memory_layer")
def test_only_admins_may_watch_a_run_and_an_unknown_run_is_refused(labelled_studies,
                                                                  django_capture_on_commit_callbacks):
    admin, annotator, _ = labelled_studies
    with django_capture_on_commit_callbacks(execute=False):
        run = training_run_start(user=admin, config={"epochs": 1, "lr": 1e-4, "size": 32, "batch_size": 4,
                                                     "replay_ratio": 0.0})
    for user in (annotator, make_user(Role.GASTROENTEROLOGIST)):
        token = Token.objects.create(user=user).key
        assert asyncio.run(refused_with(f"/ws/training-runs/{run.pk}/?token={token}")) == CLOSE_UNAUTHENTICATED
    assert asyncio.run(refused_with(f"/ws/training-runs/{run.pk}/")) == CLOSE_UNAUTHENTICATED
    token = Token.objects.create(user=admin).key
    assert asyncio.run(refused_with(f"/ws/training-runs/{run.pk + 999}/?token={token}")) == CLOSE_NOT_FOUND
    assert asyncio.run(refused_with(f"/ws/training-runs/{run.pk}/?token={token}")) is None
