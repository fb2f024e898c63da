"""Write in a background thread, so that the engine computes batch k+1 while batch k is stored.

At GPU rates the writes matter: the engine takes ~0.3 ms a frame on an H100 while storing a frame (RLE,
INSERT, progress UPDATE) takes ~0.9 ms on a CPU (`manage.py bench_pipeline --storage-only` prints it).
One after the other, a frame costs the sum of the two; in a thread they overlap (psycopg waiting on
PostgreSQL, OpenCV and torch release the GIL), and a frame costs the larger of the two.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

log = logging.getLogger(__name__)

T = TypeVar("T")

_END = object()
# Batches the producer may run ahead of the writer. One would make them take turns again whenever a batch
# is slower to write than the next is to compute; 3 absorbs such jitter (a slow INSERT, a progress tick
# that also stores events). More would not help: if writing is slower on average, the producer waits
# anyway. Memory stays flat: 3 batches of 16 frames of 574 x 500 hold ~70 MB of engine output.
DEFAULT_DEPTH = 3


class BackgroundWriter(Generic[T]):
    """Calls write(item) for every put item, in order, in one thread; write returns False to stop early.

    Used as a context manager around the producer's loop:

        with BackgroundWriter(store) as writer:
            for item in work():
                if not writer.put(item):
                    break        # the writer stopped: write returned False, or raised

    Leaving the block waits until every queued item is written, then re-raises the writer's exception
    (never swallowed; when the block itself raised, that exception wins and the writer's is logged).
    Once the writer stops, queued items are dropped and put() returns False, so the producer stops at its
    next item.

    Database connection: the thread opens its own and closes it when it ends. A caller inside a
    transaction (an atomic block) is the exception: another connection could not see the rows that
    transaction has not committed, so the thread then writes on the caller's connection, which the caller
    must leave alone until the block ends (Django's thread sharing, as its live-server tests use).
    """

    def __init__(self, write: Callable[[T], bool], depth: int = DEFAULT_DEPTH, name: str = "writer") -> None:
        self._write = write
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stopped = threading.Event()
        self.error: BaseException | None = None
        caller = connections[DEFAULT_DB_ALIAS]
        self._shared = caller if caller.in_atomic_block else None
        if self._shared is not None:
            self._shared.inc_thread_sharing()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def stopped(self) -> bool:
        """True once the writer has ended: write returned False or raised (or every item was written)."""
        return self._stopped.is_set()

    def put(self, item: T) -> bool:
        """Queue item, waiting while the queue is full; False (item dropped) once the writer has stopped."""
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __enter__(self) -> BackgroundWriter[T]:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.put(_END)  # type: ignore[arg-type]  # returns at once if the writer has stopped
        self._thread.join()
        if self._shared is not None:
            self._shared.dec_thread_sharing()
        if self.error is not None:
            if exc is None:
                raise self.error
            log.error("the writer failed as well", exc_info=self.error)

    def _run(self) -> None:
        if self._shared is not None:
            connections[DEFAULT_DB_ALIAS] = self._shared
        try:
            while (item := self._queue.get()) is not _END:
                if not self._write(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the producer, which re-raises it
            self.error = exc
        finally:
            self._stopped.set()
            if self._shared is None:
                connections[DEFAULT_DB_ALIAS].close()  # this thread's own connection
