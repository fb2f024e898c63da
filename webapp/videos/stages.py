"""Time per stage of the video pipeline, per thread: what `manage.py bench_pipeline` prints per frame.

The pipeline runs in three threads that overlap (webapp/videos/pipeline.py): decoding (the prefetch thread), the
engine (the task's thread: preprocess, model, post-processing) and the writer (RLE, storage, progress and events).
A StageClock sums, for each stage, the wall time and the CPU time of the thread that ran it (time.thread_time: the
CPU of torch's or OpenCV's own worker threads is not in it; the benchmark also prints the process's CPU as a whole).
Processing passes NO_CLOCK, whose stages cost a function call and nothing else.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass
class StageTime:
    wall_s: float = 0.0
    cpu_s: float = 0.0
    calls: int = 0
    thread: str = ""


@dataclass
class StageClock:
    """Wall and thread CPU time summed per stage name; safe to use from several threads."""

    stages: dict[str, StageTime] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - wall, time.thread_time() - cpu)

    def add(self, name: str, wall_s: float, cpu_s: float) -> None:
        with self._lock:
            entry = self.stages.setdefault(name, StageTime(thread=threading.current_thread().name))
            entry.wall_s += wall_s
            entry.cpu_s += cpu_s
            entry.calls += 1

    def timed(self, name: str, items: Iterator[T]) -> Iterator[T]:
        """items, the time spent producing each counted under `name` (decoding: the prefetch thread's work)."""
        it = iter(items)
        while True:
            with self.stage(name):
                try:
                    item = next(it)
                except StopIteration:
                    return
            yield item

    def per_frame_ms(self, frames: int) -> dict[str, dict[str, float | str]]:
        n = max(frames, 1)
        return {name: {"wall_ms": round(t.wall_s / n * 1000, 4), "cpu_ms": round(t.cpu_s / n * 1000, 4),
                       "thread": t.thread} for name, t in self.stages.items()}


class _NoClock:
    """The clock of real processing: stages are not timed."""

    def stage(self, name: str) -> AbstractContextManager[None]:
        return nullcontext()

    def timed(self, name: str, items: Iterator[T]) -> Iterator[T]:
        return items


NO_CLOCK = _NoClock()
Clock = StageClock | _NoClock
