"""Training runs and promotion without a worker: who may do what, the lease that keeps a run single, the rules
of promotion and rollback, and the refusals that name their reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.webapp.accounts.factories import make_user
from webapp.accounts.models import Role
from webapp.audit.models import Action, AuditEntry
from webapp.errors import Conflict
from webapp.mlops.models import ModelVersion, RunStatus, TrainingRun
from webapp.mlops.runs import training_run_cancel, training_run_start
from webapp.mlops.services import GateFailed, NotGated, model_version_ensure_active, model_version_promote
from webapp.mlops.trainer import LeaseLost, training_run_claim, training_runs_stale

pytestmark = pytest.mark.django_db

CONFIG = {"epochs": 1, "lr": 1e-4, "size": 32, "batch_size": 4, "replay_ratio": 0.0}


def _candidate(base: ModelVersion, *, gate_passed: bool | None, sha: str = "c" * 64) -> ModelVersion:
    """A fine-tuned version as the trainer registers it (parent, run), without training one."""
    run = TrainingRun.objects.filter(base_model=base).first()
    return ModelVersion.objects.create(version="cand", sha256=sha, storage_name="models/x.pt", parent=base,
                                       training_run=run, gate_passed=gate_passed, gate_report={"passed": gate_passed})


@pytest.fixture
def run(labelled_studies, django_capture_on_commit_callbacks):
    admin, _, _ = labelled_studies
    with django_capture_on_commit_callbacks(execute=False):  # queued only: no worker in these tests
        return training_run_start(user=admin, config=CONFIG)


def test_every_new_endpoint_refuses_other_roles_and_strangers(api_client):
    version = model_version_ensure_active()
    calls = [("get", "/api/models/"), ("post", f"/api/models/{version.pk}/promote/"),
             ("get", f"/api/models/{version.pk}/checkpoint/"), ("get", "/api/training-runs/"),
             ("post", "/api/training-runs/"), ("get", "/api/training-runs/defaults/"),
             ("get", "/api/training-runs/1/"), ("post", "/api/training-runs/1/cancel/")]
    for method, url in calls:
        assert getattr(api_client, method)(url).status_code == 401, url
    for role in (Role.GASTROENTEROLOGIST, Role.ANNOTATOR):
        api_client.force_authenticate(make_user(role))
        for method, url in calls:
            assert getattr(api_client, method)(url).status_code == 403, (role, url)


def test_a_started_run_freezes_a_snapshot_and_is_audited(run):
    assert run.status == RunStatus.QUEUED and run.snapshot.counts["examples"] == 9
    assert run.base_model == ModelVersion.objects.get(is_active=True)
    assert AuditEntry.objects.filter(action=Action.TRAINING_START, target_id=str(run.pk)).exists()


def test_the_same_run_twice_is_a_conflict(run):
    with pytest.raises(Conflict, match=f"training run {run.pk}"):
        training_run_start(user=run.started_by, config=CONFIG)


def test_bad_config_is_refused_field_by_field(api_client):
    api_client.force_authenticate(make_user(Role.ADMIN))
    response = api_client.post("/api/training-runs/", {"epochs": 0, "size": 100, "lr": 2}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"epochs", "size", "lr"}
    assert "multiple of 16" in response.json()["size"][0]


def test_no_labels_is_a_400_naming_it(api_client):
    api_client.force_authenticate(make_user(Role.ADMIN))
    response = api_client.post("/api/training-runs/", {}, format="json")
    assert response.status_code == 400 and "no labels to train on" in response.json()["detail"]


def test_one_worker_holds_a_run_until_its_lease_expires(run, settings):
    first = training_run_claim(run_id=run.pk)
    assert first is not None
    assert training_run_claim(run_id=run.pk) is None  # a redelivered message finds it held
    assert training_runs_stale() == []
    TrainingRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.TRAINING_LEASE_S + 1))
    assert training_runs_stale() == [run.pk]
    second = training_run_claim(run_id=run.pk)
    assert second is not None and second.token != first.token
    with pytest.raises(LeaseLost):  # the stalled first holder stops at its next renewal
        first.renew()
    second.renew()
    assert TrainingRun.objects.get(pk=run.pk).attempts == 2


def test_a_cancelled_run_stops_its_worker_at_the_next_renewal(run):
    lease = training_run_claim(run_id=run.pk)
    training_run_cancel(run=run, user=run.started_by)
    with pytest.raises(LeaseLost):
        lease.renew()
    assert training_run_claim(run_id=run.pk) is None
    with pytest.raises(Conflict):
        training_run_cancel(run=run, user=run.started_by)


def test_promotion_needs_a_reason_when_the_gate_failed_and_rollback_needs_none(run):
    admin = run.started_by
    shipped = run.base_model
    failed = _candidate(shipped, gate_passed=False)
    with pytest.raises(GateFailed):
        model_version_promote(version=failed, user=admin)
    assert ModelVersion.objects.get(is_active=True) == shipped
    model_version_promote(version=failed, user=admin, override_reason="  reviewed by hand  ")
    failed.refresh_from_db()
    assert failed.is_active and failed.override_reason == "reviewed by hand" and failed.promoted_by == admin
    entry = AuditEntry.objects.filter(action=Action.MODEL_PROMOTE).first()
    assert entry.detail["previous"] == shipped.pk and entry.detail["override_reason"] == "reviewed by hand"
    model_version_promote(version=shipped, user=admin)  # rollback: the registered model needs no reason
    assert ModelVersion.objects.get(is_active=True) == shipped


def test_a_version_never_gated_needs_a_reason_and_one_that_passed_none(run):
    admin, shipped = run.started_by, run.base_model
    with pytest.raises(NotGated):
        model_version_promote(version=_candidate(shipped, gate_passed=None), user=admin)
    passed = _candidate(shipped, gate_passed=True, sha="d" * 64)
    model_version_promote(version=passed, user=admin)
    assert ModelVersion.objects.filter(is_active=True).get() == passed


def test_the_api_answers_409_with_the_code_and_lists_lineage(api_client, run):
    admin, shipped = run.started_by, run.base_model
    failed = _candidate(shipped, gate_passed=False)
    api_client.force_authenticate(admin)
    response = api_client.post(f"/api/models/{failed.pk}/promote/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "gate_failed"
    listed = {m["id"]: m for m in api_client.get("/api/models/").json()}
    assert listed[failed.pk]["parent"] == {"id": shipped.pk, "version": shipped.version}
    assert listed[failed.pk]["gate"] == {"passed": False, "report": {"passed": False}}
    defaults = api_client.get("/api/training-runs/defaults/").json()
    assert set(defaults) == {"epochs", "lr", "size", "batch_size", "replay_ratio"}
    detail = api_client.get(f"/api/training-runs/{run.pk}/").json()
    assert detail["snapshot"]["holdout_patients"] == ["LOOP-E"] and detail["progress"]["phase"] == "queued"
