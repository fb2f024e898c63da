"""Decode ahead in a thread, so that decoding overlaps the engine (OpenCV releases the GIL while decoding)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()
# Two engine batches of frames ahead: enough to hide decode behind inference, little memory
# (16 frames of 574 x 500 x 3 bytes is 14 MB).
DEFAULT_DEPTH = 32


def prefetched(items: Iterator[T], depth: int = DEFAULT_DEPTH) -> Iterator[T]:
    """Yield items in order while a thread produces up to `depth` ahead; its exceptions re-raise here.

    Closing the returned generator (or abandoning it) stops the thread and closes `items`.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            put(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator over a video releases its capture

    thread = threading.Thread(target=produce, name="frame-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
