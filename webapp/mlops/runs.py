"""Writes on fine-tuning runs from the web side: start (freeze a snapshot, queue the run), cancel, broadcast.

The training itself runs in the `train` worker (webapp/mlops/trainer.py, which imports torch); this module
does not, so the web process never loads it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from webapp.accounts.models import User
from webapp.audit.models import Action
from webapp.audit.services import audit_record
from webapp.errors import Conflict, DomainError
from webapp.mlops.models import RUN_ACTIVE_STATUSES, ModelVersion, RunStatus, TrainingRun
from webapp.mlops.services import model_version_ensure_active
from webapp.mlops.snapshots import NothingToTrain, snapshot_create
from webapp.realtime import group_send

log = logging.getLogger(__name__)


def run_group(run_id: int) -> str:
    return f"training-run-{run_id}"


def training_run_broadcast(run: TrainingRun) -> None:
    """Send the whole run to every websocket watching it (best effort: webapp.realtime.group_send)."""
    from webapp.mlops.serializers import TrainingRunSerializer

    group_send(run_group(run.pk), {"type": "run", "run": TrainingRunSerializer(run).data})


def training_run_start(*, user: User, config: dict, base_model_id: int | None = None,
                       exclude_studies: Iterable[int] = ()) -> TrainingRun:
    """Freeze a snapshot of today's labels and queue a fine-tuning run of `base_model` (default: the active
    version) on it. Refused (400) when there is nothing new to learn or no holdout to gate on; 409 when the
    same run is queued or running already."""
    if base_model_id is None:
        base = model_version_ensure_active()
    else:
        base = ModelVersion.objects.filter(pk=base_model_id).first()
        if base is None:
            raise DomainError(f"base_model {base_model_id}: no such model version")
    snapshot = snapshot_create(user=user, exclude_studies=exclude_studies,
                               replay_dataset=settings.TRAINING_BASE_DATASET if config["replay_ratio"] else "")
    if base.snapshot_id is not None and base.snapshot.sha256 == snapshot.sha256:
        raise NothingToTrain(
            f"no new labels since the base model's snapshot ({snapshot.sha256[:12]}, "
            f"{snapshot.counts['examples']} examples): correct frames or judge events first"
        )
    counts = snapshot.counts
    if not counts["train_examples"]:
        raise NothingToTrain("no training examples: every labelled patient is in the holdout; "
                             "label frames of more patients")
    if not counts["holdout_examples"]:
        raise NothingToTrain("the holdout is empty, so no run could be gated: label frames of more patients "
                             f"(patients in train: {', '.join(counts['train_patients'])})")
    with transaction.atomic():
        twin = TrainingRun.objects.filter(base_model=base, snapshot=snapshot, status__in=RUN_ACTIVE_STATUSES).first()
        if twin is not None:
            raise Conflict(f"training run {twin.pk} on the same labels and base model is {twin.status} already")
        run = TrainingRun.objects.create(base_model=base, snapshot=snapshot, config=config, started_by=user,
                                         progress={"epoch": 0, "epochs": config["epochs"], "phase": "queued"})
        audit_record(actor=user, action=Action.TRAINING_START, target=run,
                     detail={"base_model": base.pk, "snapshot": snapshot.pk, "config": config})
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from webapp.mlops.tasks import train_run

    train_run.delay(run_id)


def training_run_cancel(*, run: TrainingRun, user: User) -> TrainingRun:
    """Stop a queued or running run; its worker stops at its next step and keeps nothing."""
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if run.status not in RUN_ACTIVE_STATUSES:
            raise Conflict(f"the run is {run.status}; only queued, running or evaluating runs can be cancelled")
        run.status = RunStatus.CANCELLED
        run.finished_at = timezone.now()
        run.progress = {**run.progress, "phase": "cancelled"}
        run.save(update_fields=["status", "finished_at", "progress"])
        audit_record(actor=user, action=Action.TRAINING_CANCEL, target=run)
    training_run_broadcast(run)
    return run
