"""End to end: API upload -> transaction.on_commit -> a real Celery worker process (queue gpu) -> frames and
events in PostgreSQL, progress on a websocket through the real ASGI app and Redis channel layer."""

import asyncio

import pytest
import redis
from channels.testing import WebsocketCommunicator
from django.conf import settings
from rest_framework.authtoken.models import Token

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import make_study
from tests.webapp.videos.factories import upload_file, video_bytes
from tests.webapp.videos.worker import WORKER_TIMEOUT_S, start_worker, stop_worker
from webapp.asgi import application
from webapp.videos.models import FrameResult, PolypEvent, Video, VideoStatus


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("async_db_connections")
def test_an_uploaded_video_is_processed_by_a_worker_with_live_progress(tmp_path, api_client):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the tests' own Redis db: no stale tasks
    user = make_user()
    study = make_study(user)
    token = Token.objects.create(user=user).key
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = api_client.post(f"/api/studies/{study.pk}/videos/", {"file": upload_file(video_bytes(tmp_path, 20))},
                               format="multipart")
    assert response.status_code == 201, response.content
    video_id = response.json()["id"]
    log_path = tmp_path / "worker.log"

    workers: list = []

    async def watch() -> list[dict]:
        ws = WebsocketCommunicator(application, f"/ws/videos/{video_id}/?token={token}",
                                   headers=[(b"origin", b"http://testserver")])
        connected, _ = await ws.connect()
        assert connected
        workers.append(start_worker(log_path))  # after the socket listens, so no message can be missed
        messages: list[dict] = []
        while not messages or messages[-1]["status"] == VideoStatus.PROCESSING:
            messages.append(await ws.receive_json_from(timeout=WORKER_TIMEOUT_S))
        await ws.disconnect()
        return messages

    try:
        messages = asyncio.run(watch())
    except BaseException:
        print(log_path.read_text(errors="replace")[-4000:] if log_path.exists() else "worker never started")
        raise
    finally:
        for worker in workers:
            stop_worker(worker)

    assert messages[0]["status"] == "processing" and 0 < messages[0]["frames_done"] <= 20
    assert messages[-1]["status"] == "done", messages[-1]
    assert messages[-1]["frames_done"] == 20
    video = Video.objects.get(pk=video_id)
    assert video.status == VideoStatus.DONE and video.frames_done == 20 and video.model_version.version == "test-tiny"
    assert list(FrameResult.objects.filter(video=video).order_by("index").values_list("index", flat=True)) == list(
        range(20))
    events = [(e["start"], e["end"], e["peak"]) for e in messages[-1]["events"]]
    assert events == list(PolypEvent.objects.filter(video=video).values_list("start_index", "end_index", "peak_index"))
