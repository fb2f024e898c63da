"""The load benchmark (manage.py bench_load) for a few seconds with 3 reviewers: the real upload and pipeline (the
tests' tiny model) on a 12-frame synthetic video, the real web server (uvicorn) on the test database, real HTTP and
websockets.
It checks that the command runs end to end and prints its numbers, not what they are (timings are not tested).

transaction=True: the server in its own process reads what the command committed."""

import io
import re

import pytest
from django.core.management import call_command

from tests.webapp.db import wait_for_backends

pytestmark = pytest.mark.django_db(transaction=True)

RUN = re.compile(r"^3 reviewers, think 0\.2 s, [\d.]+ s: (\d+) requests, ([\d.]+) req/s, p50 (\d+) ms, p95 (\d+) ms, "
                 r"p99 (\d+) ms, errors (\d+); websockets 3 opened, 3 open at the end$", re.M)


def test_it_prints_requests_per_second_latency_percentiles_errors_and_the_machine():
    out = io.StringIO()
    try:
        call_command("bench_load", synthetic_frames=12, reviewers="3", seconds=3.0, think="0.2", in_place=True,
                     stdout=out, stderr=io.StringIO())
    finally:
        # PostgreSQL ends the stopped server's backends a moment after its sockets close; the test database can
        # only be flushed once they are gone.
        wait_for_backends(1, timeout=10.0)
    text = out.getvalue()
    run = RUN.search(text)
    assert run is not None, text
    requests, rate, p50, p95, p99, errors = run.groups()
    assert int(requests) >= 5 and float(rate) > 0 and int(p50) <= int(p95) <= int(p99)
    assert int(errors) == 0, text
    for endpoint in ("study list", "video", "timeline", "events", "mask chunk"):
        assert re.search(rf"^\s+{endpoint}\s+n\s+\d+\s+p50\s+[\d.]+ ms\s+p95\s+[\d.]+ ms$", text, re.M), text
    assert "12 frames" in text and "uvicorn (1 process, no worker)" in text
    assert re.search(r"^machine: .+, \d+ cores; load average \[[\d., ]+\] before, \[[\d., ]+\] after$", text, re.M)

