"""The closed loop end to end, with a real Celery worker on queue `train`: start a run through the API, follow it
on the websocket, gate, promote (with an override when the gate refuses), workers pick the new model up, roll
back. And a worker killed mid-run: the run resumes from its last epoch on another worker, done once."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import time

import pytest
import redis
from channels.testing import WebsocketCommunicator
from django.conf import settings
from rest_framework.authtoken.models import Token

from tests.webapp.videos.factories import make_video
from tests.webapp.videos.worker import WORKER_TIMEOUT_S, start_worker, stop_worker
from webapp.asgi import application
from webapp.mlops.engines import loaded_versions
from webapp.mlops.models import ModelVersion, RunStatus, TrainingRun
from webapp.mlops.services import model_version_ensure_active
from webapp.videos.models import FrameResult, Video
from webapp.videos.pipeline import video_process

# Training the tiny model on 6 frames takes about a second an epoch here; the whole run well under a minute.
RUN_TIMEOUT_S = 300
FINAL = {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}


def _client(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api_client


def _wait_for(predicate, timeout: float, what: str, log_path=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    tail = log_path.read_text(errors="replace")[-4000:] if log_path and log_path.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("async_db_connections")
def test_a_run_started_through_the_api_is_trained_gated_promoted_and_picked_up(tmp_path, api_client,
                                                                               labelled_studies):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    admin, _, pairs = labelled_studies
    client = _client(api_client, admin)
    shipped = model_version_ensure_active()
    token = Token.objects.get(user=admin).key

    response = client.post("/api/training-runs/", {"epochs": 2}, format="json")
    assert response.status_code == 201, response.content
    run_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    log_path = tmp_path / "train-worker.log"
    workers: list = []

    async def watch() -> list[dict]:
        ws = WebsocketCommunicator(application, f"/ws/training-runs/{run_id}/?token={token}",
                                   headers=[(b"origin", b"http://testserver")])
        connected, _ = await ws.connect()
        assert connected
        # An impossible margin: the gate must refuse, so the override path is exercised deterministically.
        workers.append(start_worker(log_path, queues="train", env={"GATE_MIN_DICE_GAIN": "2"}))
        messages: list[dict] = []
        while not messages or messages[-1]["run"]["status"] not in FINAL:
            messages.append(await ws.receive_json_from(timeout=RUN_TIMEOUT_S))
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

    assert {m["type"] for m in messages} == {"run"}
    assert "running" in {m["run"]["status"] for m in messages}
    assert [m["run"]["progress"]["epoch"] for m in messages if m["run"]["status"] == "running"][-1] == 2
    body = client.get(f"/api/training-runs/{run_id}/").json()
    assert body["status"] == "succeeded", (body["error"], log_path.read_text()[-3000:])
    assert [h["epoch"] for h in body["history"]] == [1, 2]
    assert all(h["holdout_dice"] is not None for h in body["history"])
    assert body["snapshot"]["train_patients"] == ["LOOP-A", "LOOP-D"]
    assert body["snapshot"]["holdout_patients"] == ["LOOP-E"]
    assert body["snapshot"]["train_examples"] == 6 and body["snapshot"]["holdout_examples"] == 3
    gate = body["gate"]
    assert gate["passed"] is False
    report = gate["report"]
    assert report["holdout"] == {"images": 3, "patients": 1}
    assert [p["patient"] for p in report["per_patient"]] == ["LOOP-E"]
    # One holdout patient: a bootstrap over patients would be a point, so images were resampled, and it says so.
    assert report["dice_diff"]["resampled"] == "images"
    assert report["checks"][0]["name"] == "dice_gain" and report["checks"][0]["passed"] is False
    candidate_id = body["candidate"]
    assert candidate_id is not None

    refused = client.post(f"/api/models/{candidate_id}/promote/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "gate_failed"
    assert ModelVersion.objects.get(is_active=True).pk == shipped.pk
    promoted = client.post(f"/api/models/{candidate_id}/promote/",
                           {"override_reason": "test: the gate's margin was set out of reach"}, format="json")
    assert promoted.status_code == 200, promoted.content
    listed = {m["id"]: m for m in client.get("/api/models/").json()}
    assert listed[candidate_id]["is_active"] and not listed[shipped.pk]["is_active"]
    assert listed[candidate_id]["parent"] == {"id": shipped.pk, "version": shipped.version}
    assert listed[candidate_id]["training_run"] == run_id
    assert "checkpoint_path" not in listed[candidate_id] and "storage_name" not in listed[candidate_id]

    download = client.get(f"/api/models/{candidate_id}/checkpoint/")
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == ModelVersion.objects.get(pk=candidate_id).sha256

    # Hot reload: the next video runs with the promoted model, and only its engine stays in memory.
    video = make_video(tmp_path, pairs[0][0], admin, frames=6)
    video_process(video_id=video.pk)
    candidate = ModelVersion.objects.get(pk=candidate_id)
    assert Video.objects.get(pk=video.pk).model_version_id == candidate_id
    assert set(FrameResult.objects.filter(video=video).values_list("model_version", flat=True)) == {candidate_id}
    assert loaded_versions() == {candidate.sha256}

    # Rollback: promoting the shipped model again needs no reason; the next video runs with it.
    back = client.post(f"/api/models/{shipped.pk}/promote/", {}, format="json")
    assert back.status_code == 200 and back.json()["is_active"]
    again = make_video(tmp_path, pairs[0][0], admin, frames=6)
    video_process(video_id=again.pk)
    assert Video.objects.get(pk=again.pk).model_version_id == shipped.pk

    # Nothing new to learn since the candidate's snapshot: refused, naming why.
    nothing = client.post("/api/training-runs/", {"base_model": candidate_id}, format="json")
    assert nothing.status_code == 400 and "no new labels" in nothing.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_worker_is_killed_resumes_from_its_last_epoch_on_another_worker(tmp_path, api_client,
                                                                                    labelled_studies, settings):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    settings.TRAINING_LEASE_S = 3  # the reconciler below (this process) and the workers agree on the lease
    admin, _, _ = labelled_studies
    client = _client(api_client, admin)
    epochs = 12
    response = client.post("/api/training-runs/", {"epochs": epochs, "size": 96}, format="json")
    assert response.status_code == 201, response.content
    run_id = response.json()["id"]
    log_path = tmp_path / "train-workers.log"
    env = {"TRAINING_LEASE_S": "3"}
    first = start_worker(log_path, queues="train", env=env)
    second = None
    try:
        _wait_for(lambda: len(TrainingRun.objects.get(pk=run_id).history) >= 2, WORKER_TIMEOUT_S,
                  "two epochs on the first worker", log_path)
        os.kill(first.pid, signal.SIGKILL)  # no warm shutdown: the message stays unacknowledged
        first.wait()
        killed = TrainingRun.objects.get(pk=run_id)
        done_before = [h["epoch"] for h in killed.history]
        assert killed.status == RunStatus.RUNNING and done_before[-1] < epochs and killed.checkpoint_name

        second = start_worker(log_path, queues="train", env=env)
        # The second worker's start asks the reconciler to look; once the lease has expired it re-enqueues the
        # run, and the new worker claims it and resumes from the checkpoint in the media storage.
        from webapp.mlops.tasks import recover_runs

        def recovered() -> bool:
            recover_runs.delay()
            return TrainingRun.objects.get(pk=run_id).attempts >= 2

        _wait_for(recovered, 60, "the run to be claimed again", log_path)
        run = _wait_for(lambda: (r := TrainingRun.objects.get(pk=run_id)).status in FINAL and r, RUN_TIMEOUT_S,
                        "the resumed run to finish", log_path)
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                stop_worker(worker)

    assert run.status == RunStatus.SUCCEEDED, (run.error, log_path.read_text()[-3000:])
    assert run.attempts == 2
    # Every epoch once: the epochs done before the kill were kept, the rest trained after the resume.
    assert [h["epoch"] for h in run.history] == list(range(1, epochs + 1))
    # The epochs done before the kill are kept as they were (a restart from scratch would rewrite them, with
    # other timings), and the training clock continues from the checkpoint's.
    assert run.history[: len(done_before)] == killed.history
    assert run.history[len(done_before)]["seconds"] > killed.history[-1]["seconds"]
    assert ModelVersion.objects.filter(training_run=run).count() == 1
