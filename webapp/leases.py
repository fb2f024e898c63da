"""Leases on in-flight work (a video, a fine-tuning run): one holder at a time, by a token on the row.

A worker claims a row by writing a fresh token and `heartbeat_at`; while it works it renews the heartbeat,
always conditionally on its token, so a holder that lost the row (cancelled, or taken over after a stall) learns
it at its next renewal and stops. Another worker may take the row over only once the heartbeat is older than the
lease. A reconciler (Celery beat) re-enqueues rows whose lease expired. The apps keep their own claim and renewal
queries (their statuses differ); what is the same mechanism lives here.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType

from django.db import DatabaseError, connections
from django.db.models import Q, QuerySet
from django.utils import timezone

log = logging.getLogger(__name__)


def new_token() -> str:
    return uuid.uuid4().hex


def holder_name() -> str:
    """host:pid of this process, stored beside a token so that people can tell which worker holds what."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def is_held(heartbeat_at: datetime | None, lease_s: float, now: datetime | None = None) -> bool:
    """True while a heartbeat is younger than the lease: its holder may still be working."""
    now = now or timezone.now()
    return heartbeat_at is not None and heartbeat_at > now - timedelta(seconds=lease_s)


def expired(queryset: QuerySet, lease_s: float, since: str = "created_at") -> QuerySet:
    """The rows of `queryset` whose lease expired: a heartbeat older than the lease, or none at all and `since`
    older than the lease (a row nobody has claimed yet)."""
    cutoff = timezone.now() - timedelta(seconds=lease_s)
    return queryset.filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, **{f"{since}__lt": cutoff}))


def waiting_in_broker(task_name: str, queue: str) -> set[int] | None:
    """The first argument (an id) of every `task_name` message waiting in `queue`, read from Redis (kombu's redis
    transport: one list per queue and priority step, messages as JSON with a base64 body), so that a reconciler
    re-enqueues only work no message waits for. Messages delivered to a worker but not acknowledged are not counted:
    their worker may be dead. None for a broker it cannot read (the embedded memory broker)."""
    from webapp.celery import app

    ids: set[int] = set()
    try:
        with app.connection_for_read() as conn:
            channel = conn.default_channel
            if not hasattr(channel, "_q_for_pri") or not hasattr(channel, "client"):
                return None
            names = {channel._q_for_pri(queue, pri) for pri in channel.priority_steps}
            for name in names:
                for raw in channel.client.lrange(name, 0, -1):
                    item = _first_arg(raw, task_name)
                    if item is not None:
                        ids.add(item)
    except Exception as exc:  # noqa: BLE001 - the broker is down: nothing can be re-enqueued now anyway
        log.warning("could not read queue %s: %s", queue, exc)
        return None
    return ids


def _first_arg(raw: bytes, task_name: str) -> int | None:
    try:
        message = json.loads(raw)
        if message.get("headers", {}).get("task") != task_name:
            return None
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args, kwargs, _ = json.loads(body)
        value = args[0] if args else next(iter(kwargs.values()))
        return int(value)
    except (ValueError, KeyError, TypeError, IndexError, StopIteration):
        return None


class Heartbeat:
    """Calls renew() every interval_s in a thread while the block runs; renew returns False once the lease is lost.

        with Heartbeat(renew, interval_s=5, stall_s=900, name="video-7-lease") as beat:
            for batch in work():
                if beat.lost.is_set():
                    break
                ...
                beat.progressed()

    A database error is logged and tried again at the next beat (the lease itself says when another worker may
    take over). With no progress() for stall_s the renewals stop, so a holder stuck in a hung call lets its lease
    expire and the reconciler hands the work to another worker. The thread uses (and closes) its own connection.
    """

    def __init__(self, renew: Callable[[], bool], *, interval_s: float, stall_s: float, name: str) -> None:
        self._renew = renew
        self.interval_s = interval_s
        self.stall_s = stall_s
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._progress_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def progressed(self) -> None:
        self._progress_at = time.monotonic()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        stalled = False
        try:
            while not self._stop.wait(self.interval_s):
                if time.monotonic() - self._progress_at > self.stall_s:
                    if not stalled:
                        log.warning("%s: no progress for %.0f s; renewals stop, the lease will expire",
                                    self._thread.name, self.stall_s)
                    stalled = True
                    continue
                try:
                    held = self._renew()
                except DatabaseError as exc:  # the database went away for a moment: the next beat tries again
                    log.warning("%s: renewal failed: %s", self._thread.name, exc)
                    connections.close_all()  # reconnect at the next beat
                    continue
                if not held:
                    self.lost.set()
                    return
        finally:
            connections.close_all()  # this thread's own connections
