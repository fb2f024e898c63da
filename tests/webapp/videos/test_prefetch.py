import threading

import pytest

from webapp.videos.prefetch import prefetched


def test_items_come_out_in_order():
    assert list(prefetched(iter(range(100)), depth=3)) == list(range(100))


def test_an_exception_of_the_producer_is_raised_in_the_consumer_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("truncated")

    seen = []
    with pytest.raises(ValueError, match="truncated"):
        for item in prefetched(items()):
            seen.append(item)
    assert seen == [1, 2]


def test_closing_early_stops_the_thread_and_closes_the_source():
    closed = threading.Event()

    def items():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    stream = prefetched(items(), depth=2)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()
    assert closed.wait(timeout=5)
    assert not any(t.name == "frame-prefetch" for t in threading.enumerate())
