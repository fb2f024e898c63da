"""Celery tasks of the retraining loop (queue `train`): take ids, call a service, own the retry policy."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

from webapp.leases import waiting_in_broker

log = logging.getLogger(__name__)


@shared_task(
    name="mlops.train_run",
    # A worker killed mid-run leaves the message unacknowledged; whoever gets it next claims the run only when
    # its lease has expired (webapp/mlops/trainer.py), so a redelivered message never runs a second copy.
    acks_late=True,
    reject_on_worker_lost=True,
)
def train_run(run_id: int) -> None:
    from webapp.mlops.trainer import training_run_execute  # torch: imported by the worker only

    training_run_execute(run_id=run_id)


@shared_task(name="mlops.recover_runs")
def recover_runs() -> list[int]:
    """The reconciler (Celery beat, and each `train` worker as it starts): re-enqueue runs nobody works on."""
    from webapp.mlops.trainer import training_runs_stale

    # A run whose message already waits in the queue (behind another run) is left alone: re-enqueues never pile up.
    waiting = waiting_in_broker("mlops.train_run", "train") or set()
    stale = [run_id for run_id in training_runs_stale() if run_id not in waiting]
    for run_id in stale:
        train_run.delay(run_id)
    if stale:
        log.info("re-enqueued stale training runs %s", stale)
    return stale


@worker_ready.connect
def _recover_on_start(sender=None, **kwargs) -> None:
    """A worker that starts (after a crash, a deploy, a broker that forgot its queue) asks the `train` queue to
    pick up runs whose lease has expired. Cheap, and routed to `train` whichever worker sends it."""
    recover_runs.delay()
