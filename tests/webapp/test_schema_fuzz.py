"""Schema fuzzing: schemathesis generates requests from the app's own OpenAPI document (GET /api/schema/, read with
an admin token) and sends them to the app in-process (Django's WSGI handler: the same middleware, views and
database as under the web server; nothing is committed, so nothing reaches a worker, and the test's transaction is
rolled back afterwards). Objects come from tests/webapp/world.py, built through the services.

1. As an admin: no 5xx, and every answer conforms to the schema (status code, content type, headers, body).
   Half the examples of an operation use the ids of real objects, so answers are more than 404s; a few explicit
   cases reach what random data seldom does (a stale revision's 409, an accepted revision and verdict).
2. As an annotator who is a member of no study: no 5xx, no 2xx on anything under an object of a study, and no
   answer names a patient (the world's pseudonyms).
3. A NUL character in every query parameter of every operation (issue 11 found 500s on `/api/users/?role=%00`
   and `/api/audit/?action=%00`): never a 5xx. (The generated strings of 1 and 2 hold NUL characters too.)

Bounded: SCHEMA_FUZZ_EXAMPLES examples an operation and mode (default 6), from a fixed seed (SCHEMA_FUZZ_SEED) so
that CI sees the same requests each run; raise both to search further by hand.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
)

from tests.webapp.annotations.factories import square_rle
from tests.webapp.world import World, build_world
from webapp.annotations.models import MaskRevision

EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "6"))
SEED = int(os.environ.get("SCHEMA_FUZZ_SEED", "20261207"))
# status_code_conformance is replaced by undocumented_status_problem (below), which says why.
CONFORMANCE = [not_a_server_error, content_type_conformance, response_headers_conformance, response_schema_conformance]
# URL keywords that name an object inside a study: an outsider must never get a 2xx under one.
STUDY_SCOPED = {"study_id", "video_id", "event_id", "image_id", "propagation_id", "upload_id"}


@contextmanager
def in_process_wsgi() -> Iterator[object]:
    """Django's WSGI handler, called in this thread inside the test's transaction. Django's request signals close
    the connection when autocommit is off (it is, inside the transaction); the test client unhooks them for the
    same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class Findings:
    failures: dict[tuple[str, str], str] = field(default_factory=dict)  # (operation, what) -> one example
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    unsatisfiable: list[str] = field(default_factory=list)

    def add(self, operation: str, what: str, example: str) -> None:
        self.failures.setdefault((operation, what), example)

    def report(self) -> str:
        return "\n".join(f"{op}: {what}\n    {example}" for (op, what), example in sorted(self.failures.items()))


def fixed_path_parameters(world: World, operation) -> dict[str, int]:
    kwargs = world.url_kwargs()
    wanted = {p.name for p in operation.path_parameters}
    fixed = {k: v for k, v in kwargs.items() if k in wanted}
    if operation.method.upper() == "DELETE" and "video_id" in fixed:
        fixed["video_id"] = world.spare_video.pk  # the other operations keep their video
    return fixed


def fuzz(schema, world: World, token: str, findings: Findings,
         judge: Callable[[object, object], list[str]], modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
         skip: Callable[[object], bool] = lambda case: False) -> None:
    """Send EXAMPLES generated cases per operation, mode and (where the path names objects) with the world's ids
    and with generated ones; judge(case, response) returns what is wrong. Failures are collected, not raised, so
    one bad operation does not hide the next."""
    headers = {"Authorization": f"Token {token}"}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        fixed = fixed_path_parameters(world, operation)
        for mode in modes:
            for path_parameters in ([fixed, None] if fixed else [None]):
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

                @seed(SEED)
                @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                          suppress_health_check=list(HealthCheck))
                @given(case=strategy)
                def run(case) -> None:
                    if skip(case):
                        return
                    response = case.call(headers=headers)
                    findings.requests += 1
                    findings.statuses[response.status_code] = findings.statuses.get(response.status_code, 0) + 1
                    for what in judge(case, response):
                        findings.add(f"{case.method.upper()} {case.operation.path}", what,
                                     f"{response.status_code} {case.as_curl_command(headers)}"[:600])

                try:
                    run()
                except Unsatisfiable:  # nothing to negate (no parameters, no body) or nothing else to generate
                    findings.unsatisfiable.append(f"{label} {mode.value}{' fixed ids' if path_parameters else ''}")


def documented(case, status: int) -> bool:
    codes = {str(code).upper() for code in case.operation.responses.status_codes}
    return "DEFAULT" in codes or str(status) in codes or f"{str(status)[0]}XX" in codes


def is_json_error(response) -> bool:
    """The API's error shape (frontend/API.md): a JSON object, `{"detail", "code"}` or field errors."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body)


def undocumented_status_problem(case, response) -> str | None:
    """The schema documents each operation's success answers only (drf-spectacular lists no 4xx), so
    schemathesis' status_code_conformance would flag every 400, 404 and 409. Instead: an undocumented status
    must be a 4xx with the API's JSON error body; a 404 for a path that named no route (a path parameter that
    `<int:...>` does not match, e.g. negative or not a number: Django's own HTML page, before any view) is
    accepted as it is."""
    status = response.status_code
    if documented(case, status) or status >= 500:
        return None  # documented, or not_a_server_error's to report
    if 400 <= status < 500 and is_json_error(response):
        return None
    if status == 404 and any(not str(v).isdigit() for v in (case.path_parameters or {}).values()):  # <int:...>
        return None
    return f"undocumented {status}, not a JSON error ({response.content[:80]!r})"


def conformance_judge(case, response) -> list[str]:
    problems = []
    if (problem := undocumented_status_problem(case, response)) is not None:
        problems.append(problem)
    try:
        case.validate_response(response, checks=CONFORMANCE)
    except BaseException as exc:  # noqa: BLE001 - schemathesis raises one failure or a group of them
        failures = getattr(exc, "exceptions", None) or [exc]
        problems += [f"{type(f).__name__}: {str(getattr(f, 'message', f))[:300]}" for f in failures]
    return problems


def explicit_cases(schema, world: World, token: str, findings: Findings) -> None:
    """Answers random data seldom reaches, checked against the schema the same way: a revision saved on a stale
    base (409 with `current`), a revision and a verdict that are accepted (201)."""
    revisions = schema["/api/videos/{video_id}/frames/{index}/revisions/"]["POST"]
    path = {"video_id": world.video.pk, "index": 2}
    rle_text = square_rle(world.video.height, world.video.width)[0]
    current = MaskRevision.objects.filter(video=world.video, frame_index=2).order_by("-pk").first()
    cases = [
        revisions.Case(path_parameters=path, body={"based_on": None, "rle": rle_text, "note": ""},
                       media_type="application/json"),  # someone saved first: 409
        revisions.Case(path_parameters=path, body={"based_on": current.pk, "rle": rle_text, "note": "fuzz"},
                       media_type="application/json"),  # 201
        schema["/api/events/{event_id}/verdicts/"]["POST"].Case(
            path_parameters={"event_id": world.event.pk}, body={"value": "confirmed", "note": ""},
            media_type="application/json"),  # 201
    ]
    statuses = []
    for case in cases:
        response = case.call(headers={"Authorization": f"Token {token}"})
        statuses.append(response.status_code)
        for what in conformance_judge(case, response):
            findings.add(f"{case.method.upper()} {case.operation.path} (explicit)", what, response.text[:300])
    assert statuses == [409, 201, 201], statuses


@pytest.fixture
def world(tmp_path) -> World:
    return build_world(tmp_path)


def load_schema(app, token: str):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers={"Authorization": f"Token {token}"})


@pytest.mark.django_db
def test_fuzzing_as_an_admin_finds_no_5xx_and_answers_that_match_the_schema(world):
    findings = Findings()
    admin_token = world.token(world.admin)
    started = time.monotonic()
    with in_process_wsgi() as app:
        schema = load_schema(app, admin_token)

        def not_the_admin_itself(case) -> bool:
            # The fuzzer may demote, deactivate or re-password any user but the one whose token it is using.
            return case.path_parameters and case.path_parameters.get("user_id") == world.admin.pk

        explicit_cases(schema, world, admin_token, findings)
        fuzz(schema, world, admin_token, findings, conformance_judge, skip=not_the_admin_itself)
    elapsed = time.monotonic() - started
    print(f"{findings.requests} requests in {elapsed:.0f} s; statuses {sorted(findings.statuses.items())}; "
          f"nothing to generate: {findings.unsatisfiable}")
    assert findings.requests > 100
    assert not findings.failures, "schema fuzzing as an admin:\n" + findings.report()


@pytest.mark.django_db
def test_an_annotator_of_no_study_reads_nothing_of_any_study(world):
    outsider = world.outsider_annotator
    findings = Findings()

    def judge(case, response) -> list[str]:
        problems = []
        if response.status_code >= 500:
            problems.append(f"server error {response.status_code}")
        scoped = STUDY_SCOPED & {p.name for p in case.operation.path_parameters}
        if scoped and 200 <= response.status_code < 300:
            problems.append(f"{response.status_code} under an object of a study ({', '.join(sorted(scoped))})")
        named = [s for s in world.secrets if s.encode() in response.content]
        if named:
            problems.append(f"{response.status_code} names patients {named}")
        return problems

    with in_process_wsgi() as app:
        schema = load_schema(app, world.token(world.admin))  # the whole schema: the outsider tries everything
        fuzz(schema, world, world.token(outsider), findings, judge, modes=(GenerationMode.POSITIVE,))
    print(f"{findings.requests} requests; statuses {sorted(findings.statuses.items())}")
    assert findings.statuses.get(404, 0) > 50  # the world's objects were asked for, and hidden
    assert not findings.failures, "an annotator of no study:\n" + findings.report()


@pytest.mark.django_db
def test_a_nul_character_in_any_query_parameter_is_never_a_5xx(world):
    """PostgreSQL cannot hold NUL in a text value: a filter that passes one to a query raises a 500."""
    token = world.token(world.admin)
    failures, sent, covered = [], 0, set()
    with in_process_wsgi() as app:
        schema = load_schema(app, token)
        for result in schema.get_all_operations():
            operation = result.ok()
            for parameter in operation.query:
                case = operation.Case(path_parameters=fixed_path_parameters(world, operation),
                                      query={parameter.name: "\x00"})
                response = case.call(headers={"Authorization": f"Token {token}"})
                sent += 1
                covered.add(operation.path)
                if response.status_code >= 500:  # a lenient 200 (an ignored page_size) is fine; a crash is not
                    failures.append(f"{response.status_code} {operation.method.upper()} {operation.path}"
                                    f"?{parameter.name}=%00")
    assert sent >= 20  # the list filters, pages, export formats, frame widths, mask ranges
    assert {"/api/users/", "/api/audit/"} <= covered  # issue 11's two 500s
    assert not failures, "NUL in the query string:\n" + "\n".join(failures)
