"""Celery tasks for annotations: take ids, call a service, own the retry policy."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    name="annotations.propagate",
    acks_late=True,  # a worker killed mid-walk leaves the message to another, which writes what is missing
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=5,
)
def propagate(propagation_id: int) -> None:
    from webapp.annotations.propagation import propagation_run  # worker-only: decodes video

    propagation_run(propagation_id=propagation_id)
