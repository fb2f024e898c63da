"""BackgroundWriter: writes in order in one thread, bounded, stops early, never swallows an error, and uses
its own database connection (closed when it ends) unless the caller is inside a transaction."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from tests.webapp.db import backends, wait_for_backends
from webapp.studies.models import Study
from webapp.videos.writer import DEFAULT_DEPTH, BackgroundWriter


def test_items_are_written_in_order_in_another_thread():
    written: list[tuple[int, str]] = []

    def write(item: int) -> bool:
        written.append((item, threading.current_thread().name))
        return True

    with BackgroundWriter(write, name="test-writer") as writer:
        for i in range(20):
            assert writer.put(i)
    assert [item for item, _ in written] == list(range(20))  # all of them, by the time the block ends
    assert {name for _, name in written} == {"test-writer"}


def test_an_error_of_the_writer_is_raised_when_the_block_ends_and_stops_the_producer():
    def write(item: int) -> bool:
        if item == 3:
            raise RuntimeError("disk full")
        return True

    accepted = []
    with pytest.raises(RuntimeError, match="disk full"), BackgroundWriter(write) as writer:
        for i in range(1000):
            if not writer.put(i):
                break
            accepted.append(i)
            time.sleep(0.001)
    assert writer.stopped and len(accepted) < 1000  # the producer noticed and stopped


def test_an_error_of_the_producer_wins_and_the_writers_is_logged(caplog):
    def write(item: int) -> bool:
        raise RuntimeError("disk full")

    with caplog.at_level(logging.ERROR), pytest.raises(ValueError, match="decoder"):
        with BackgroundWriter(write) as writer:
            writer.put(1)
            while not writer.stopped:
                time.sleep(0.01)
            raise ValueError("decoder failed")
    assert "the writer failed as well" in caplog.text and "disk full" in caplog.text


def test_write_returning_false_stops_the_writer_and_drops_what_is_queued():
    written: list[int] = []
    release = threading.Event()

    def write(item: int) -> bool:
        release.wait(5)
        written.append(item)
        return item != 0  # item 0 says: stop (a cancelled video)

    with BackgroundWriter(write) as writer:
        assert writer.put(0)
        for i in range(1, DEFAULT_DEPTH + 1):
            assert writer.put(i)  # queued behind item 0
        release.set()
        while not writer.stopped:
            time.sleep(0.01)
        assert not writer.put(99)
    assert written == [0]


def test_the_queue_holds_at_most_depth_items():
    release = threading.Event()
    accepted: list[int] = []

    def write(item: int) -> bool:
        release.wait(5)
        return True

    with BackgroundWriter(write, depth=2) as writer:
        producer = threading.Thread(target=lambda: [accepted.append(i) for i in range(10) if writer.put(i)])
        producer.start()
        time.sleep(0.5)
        # One item in the writer's hands, two queued; the producer waits to put the fourth.
        assert accepted == [0, 1, 2]
        release.set()
        producer.join(5)
    assert accepted == list(range(10))


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_writer_has_its_own_connection_and_closes_it():
    before = backends()
    seen: list[int] = []

    def write(item: int) -> bool:
        seen.append(backends())
        return True

    with BackgroundWriter(write) as writer:
        writer.put(1)
    assert seen == [before + 1]  # the writer's connection beside this thread's
    assert wait_for_backends(before) == before


@pytest.mark.django_db
def test_inside_a_transaction_the_writer_writes_on_the_callers_connection(study):
    # The test runs inside a transaction: the study is not committed, so only the same connection sees it.
    seen: list[bool] = []

    def write(item: int) -> bool:
        seen.append(Study.objects.filter(pk=study.pk).exists())
        return True

    with BackgroundWriter(write) as writer:
        writer.put(1)
    assert seen == [True]
    assert Study.objects.filter(pk=study.pk).exists()  # the caller's connection still works afterwards
