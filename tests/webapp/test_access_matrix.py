"""Who may call what: every API route and websocket route, found by walking the URL configuration (so a new
endpoint cannot be missed), against anonymous, a user without a role, a gastroenterologist, an annotator, an admin
and a non-member of the study the object belongs to, on objects built through the real write paths
(tests/webapp/world.py).

POLICY is the one table of who may do what. A route or method missing from it fails test_the_policy_covers_every_route
with its name; a stale entry fails it too. Expected answers:
- anonymous: 401 (the token authenticator asks for credentials); a user without a role: 403;
- a role the policy does not name: 403;
- a non-member with an allowed role, on an object of a study (scoped): 404, no hint that it exists;
- an allowed role: GET 2xx; a write with an empty JSON body 2xx or a 4xx that is not 401/403/404 (400 validation,
  409 conflict, 415 wrong media type: the request got past authorisation to an existing object);
- public routes (logins, the invite page): anything but a 5xx.
Whatever the answer, nobody's response may contain the pseudonym of a patient whose study they may not see.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from channels.testing import WebsocketCommunicator
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from tests.webapp.world import ACTORS, World, build_world
from webapp.accounts.models import Role

G, A, ADMIN = Role.GASTROENTEROLOGIST, Role.ANNOTATOR, Role.ADMIN
ANY_ROLE = frozenset({G, A, ADMIN})
CLINICIAN = frozenset({G, ADMIN})
ANNOTATOR = frozenset({A, ADMIN})
ADMIN_ONLY = frozenset({ADMIN})
PUBLIC = None  # AllowAny


@dataclass(frozen=True)
class Rule:
    who: frozenset[str] | None
    scoped: bool = False  # the object belongs to a study: a non-member gets 404
    query: str = ""  # what a GET needs to be a well-formed request
    kwargs: tuple[tuple[str, str], ...] = ()  # URL keyword -> World attribute, instead of World.url_kwargs()


def scoped(who: frozenset[str], **kw) -> Rule:
    return Rule(who, scoped=True, **kw)


# (URL name, method) -> Rule. Names are the `name=` of the URL patterns (webapp/urls.py and each app's urls.py).
POLICY: dict[tuple[str, str], Rule] = {
    ("schema", "GET"): Rule(ANY_ROLE),  # issue 11: a user without a role must not read the schema either
    ("auth-token", "POST"): Rule(PUBLIC),
    ("auth-session", "GET"): Rule(PUBLIC),
    ("auth-session", "POST"): Rule(PUBLIC),
    ("auth-session", "DELETE"): Rule(PUBLIC),
    ("auth-invite", "GET"): Rule(PUBLIC),
    ("auth-invite", "POST"): Rule(PUBLIC),
    ("user-list", "GET"): Rule(ANY_ROLE),
    ("user-list", "POST"): Rule(ADMIN_ONLY),
    ("user-detail", "GET"): Rule(ADMIN_ONLY),
    ("user-detail", "PATCH"): Rule(ADMIN_ONLY),
    ("user-invite", "POST"): Rule(ADMIN_ONLY),
    ("audit-list", "GET"): Rule(ADMIN_ONLY),
    ("audit-export", "GET"): Rule(ADMIN_ONLY),
    ("audit-choices", "GET"): Rule(ADMIN_ONLY),
    # studies
    ("study-list", "GET"): Rule(ANY_ROLE),
    ("study-list", "POST"): Rule(CLINICIAN),
    ("study-import", "POST"): Rule(CLINICIAN),
    ("study-detail", "GET"): scoped(ANY_ROLE),
    ("study-detail", "PATCH"): scoped(CLINICIAN),
    ("study-members", "PUT"): scoped(ADMIN_ONLY),
    ("study-images", "GET"): scoped(ANY_ROLE),
    ("study-images", "POST"): scoped(CLINICIAN),
    ("study-report", "GET"): scoped(ANY_ROLE),
    ("study-export", "GET"): scoped(ANY_ROLE, query="?format=coco"),
    ("image-file", "GET"): scoped(ANY_ROLE),
    # videos
    ("study-videos", "GET"): scoped(ANY_ROLE),
    ("study-videos", "POST"): scoped(CLINICIAN),
    ("video-detail", "GET"): scoped(ANY_ROLE),
    ("video-detail", "DELETE"): scoped(ADMIN_ONLY, kwargs=(("video_id", "spare_video"),)),
    ("video-timeline", "GET"): scoped(ANY_ROLE),
    ("video-events", "GET"): scoped(ANY_ROLE),
    ("video-cancel", "POST"): scoped(CLINICIAN),
    ("video-resume", "POST"): scoped(CLINICIAN),
    ("video-reprocess", "POST"): scoped(ADMIN_ONLY),
    ("video-file", "GET"): scoped(ANY_ROLE),
    ("video-masks", "GET"): scoped(ANY_ROLE, query="?start=0&end=12"),
    ("frame-image", "GET"): scoped(ANY_ROLE),
    ("frame-jpeg", "GET"): scoped(ANY_ROLE, query="?width=32"),
    ("frame-mask", "GET"): scoped(ANY_ROLE),
    # annotations
    ("event-verdicts", "GET"): scoped(ANY_ROLE),
    ("event-verdicts", "POST"): scoped(CLINICIAN),
    ("review-queue", "GET"): Rule(ANY_ROLE),
    ("correction-queue", "GET"): Rule(ANY_ROLE),
    ("frame-mask-state", "GET"): scoped(ANY_ROLE),
    ("frame-revisions", "GET"): scoped(ANY_ROLE),
    ("frame-revisions", "POST"): scoped(ANNOTATOR),
    ("frame-propagate", "POST"): scoped(ANNOTATOR),
    ("video-proposals", "GET"): scoped(ANY_ROLE),
    ("video-proposals-accept", "POST"): scoped(ANNOTATOR),
    ("propagation", "GET"): scoped(ANY_ROLE),
    ("image-mask-state", "GET"): scoped(ANY_ROLE),
    ("image-revisions", "GET"): scoped(ANY_ROLE),
    ("image-revisions", "POST"): scoped(ANNOTATOR),
    # resumable uploads (webapp/transfers): a session is its uploader's (and admins'); annotators never upload
    ("study-uploads", "GET"): scoped(CLINICIAN),
    ("study-uploads", "POST"): scoped(CLINICIAN),
    ("upload-detail", "GET"): scoped(CLINICIAN),
    ("upload-detail", "DELETE"): scoped(CLINICIAN),
    ("upload-part", "PUT"): scoped(CLINICIAN),
    ("upload-complete", "POST"): scoped(CLINICIAN),
    # models and fine-tuning
    ("model-list", "GET"): Rule(ADMIN_ONLY),
    ("model-promote", "POST"): Rule(ADMIN_ONLY),
    ("model-checkpoint", "GET"): Rule(ADMIN_ONLY),
    ("training-run-list", "GET"): Rule(ADMIN_ONLY),
    ("training-run-list", "POST"): Rule(ADMIN_ONLY),
    ("training-run-defaults", "GET"): Rule(ADMIN_ONLY),
    ("training-run-detail", "GET"): Rule(ADMIN_ONLY),
    ("training-run-cancel", "POST"): Rule(ADMIN_ONLY),
}

# Websocket routes (webapp/routing.py), by their route string.
WS_POLICY: dict[str, Rule] = {
    "ws/videos/<int:video_id>/": scoped(ANY_ROLE),
    "ws/training-runs/<int:run_id>/": Rule(ADMIN_ONLY),
}

# What is served outside /api/ and is not the API: the review UI's single page, Django's admin (its own staff login
# and permissions), and the probes and metrics for the orchestrator (no login, no data: tests/webapp/ops/; /metrics
# takes a bearer token when METRICS_TOKEN is set).
NON_API_ROUTE_PREFIXES = ("admin/",)
NON_API_ROUTE_NAMES = ("spa-root", "spa", "healthz", "readyz", "metrics")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def http_routes() -> list[tuple[str, URLPattern]]:
    """(route, pattern) for every URL pattern of the project, includes flattened."""
    out: list[tuple[str, URLPattern]] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            else:
                out.append((prefix + str(p.pattern), p))

    walk(get_resolver().url_patterns, "")
    return out


def api_endpoints() -> list[tuple[str, str, str, URLPattern]]:
    """(name, method, route, pattern) for every method of every route under api/."""
    out = []
    for route, pattern in http_routes():
        if not route.startswith("api/"):
            continue
        view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
        assert view is not None, f"{route}: not a class-based view; the matrix cannot tell its methods"
        for method in METHODS:
            if hasattr(view, method.lower()):
                out.append((pattern.name, method, route, pattern))
    return out


def ws_routes() -> list[str]:
    from webapp.routing import websocket_urlpatterns

    return [str(p.pattern) for p in websocket_urlpatterns]


def test_the_policy_covers_every_route():
    endpoints = api_endpoints()
    names = [(name, route) for name, _, route, _ in endpoints]
    assert all(name for name, _ in names), f"API routes without a name: {[r for n, r in names if not n]}"
    by_name: dict[str, set[str]] = {}
    for name, route in names:
        by_name.setdefault(name, set()).add(route)
    assert all(len(routes) == 1 for routes in by_name.values()), f"names used twice: {by_name}"
    found = {(name, method) for name, method, _, _ in endpoints}
    missing = sorted(found - POLICY.keys())
    assert not missing, f"routes with no access policy (add them to POLICY): {missing}"
    stale = sorted(POLICY.keys() - found)
    assert not stale, f"POLICY names routes or methods that do not exist: {stale}"
    others = [(route, p.name) for route, p in http_routes() if not route.startswith("api/")
              and not route.startswith(NON_API_ROUTE_PREFIXES) and p.name not in NON_API_ROUTE_NAMES]
    assert not others, f"routes outside /api/ that no test covers: {others}"
    assert sorted(ws_routes()) == sorted(WS_POLICY), f"websocket routes vs WS_POLICY: {ws_routes()}"


def outsider_role(rule: Rule) -> str:
    """A non-member gets a role the rule allows, so the answer tests membership and not the role."""
    who = rule.who or ANY_ROLE
    return G if G in who else A if A in who else G


def expected(rule: Rule, actor: str, world: World) -> str:
    """'401', '403', '404', 'ok' (an allowed caller) or 'public'."""
    if rule.who is PUBLIC:
        return "public"
    if actor == "anonymous":
        return "401"
    if actor == "roleless":
        return "403"
    user = world.user(actor, outsider_role(rule))
    if not (user.is_admin or user.role in rule.who):
        return "403"
    if actor == "outsider" and rule.scoped:
        return "404"
    return "ok"


def meets(expectation: str, method: str, status: int) -> bool:
    if status >= 500:
        return False
    if expectation == "public":
        return True
    if expectation == "ok":
        if method == "GET":
            return 200 <= status < 300
        return status < 300 or status not in (401, 403, 404)
    return status == int(expectation)


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # the test client closes it once read
    return response.content


def unseen_secrets(world: World, actor: str) -> tuple[str, ...]:
    """Pseudonyms of the patients whose studies this actor may not see."""
    if actor == "admin":
        return ()
    if actor in ("gastroenterologist", "annotator"):
        return tuple(s for s in world.secrets if s != world.study.patient.pseudo_id)
    return world.secrets


@pytest.mark.django_db
def test_every_api_route_answers_each_actor_as_the_policy_says(tmp_path):
    world = build_world(tmp_path)
    kwargs = world.url_kwargs()
    failures, leaks, calls = [], [], 0
    # The admin last: its writes (DELETE, cancel, promote) then change nothing the others are asked about.
    for actor in ACTORS[:4] + ("outsider", "admin"):
        for name, method, _, pattern in api_endpoints():
            if (name, method) not in POLICY:
                continue  # test_the_policy_covers_every_route names it
            rule = POLICY[(name, method)]
            url_kwargs = {k: kwargs[k] for k in pattern.pattern.regex.groupindex}
            url_kwargs.update({k: getattr(world, attr).pk for k, attr in rule.kwargs})
            url = reverse(name, kwargs=url_kwargs) + (rule.query if method == "GET" else "")
            client = APIClient(raise_request_exception=False)  # a 500 is a failure to list, not to raise
            user = world.user(actor, outsider_role(rule))
            if user is not None:
                client.credentials(HTTP_AUTHORIZATION=f"Token {world.token(user)}")
            if method == "GET":
                response = client.get(url)
            else:
                response = client.generic(method, url, "{}", content_type="application/json")
            calls += 1
            want = expected(rule, actor, world)
            body = body_of(response)
            if not meets(want, method, response.status_code):
                failures.append(f"{method} {url} as {actor}: {response.status_code}, expected {want} "
                                f"({body[:160]!r})")
            leaked = [s for s in unseen_secrets(world, actor) if s.encode() in body]
            if leaked:
                leaks.append(f"{method} {url} as {actor}: {response.status_code} names {leaked}")
    assert calls >= 6 * len(POLICY)
    assert not failures and not leaks, "\n".join(["access matrix failures:", *failures, *leaks])


@pytest.fixture
def in_memory_layer(settings):
    # The sockets that are let in join a group; the in-memory layer keeps this test off Redis.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


async def ws_answer(path: str) -> int | None:
    """None when the socket is let in; else the close code it was refused with (before or right after the
    handshake: either way the client is refused)."""
    from webapp.asgi import application

    ws = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://testserver")])
    connected, code = await ws.connect(timeout=5)
    if connected:
        if await ws.receive_nothing(timeout=0.2):
            await ws.disconnect()
            return None
        message = await ws.receive_output(timeout=1)
        code = message.get("code") if message.get("type") == "websocket.close" else None
    await ws.disconnect()
    return code if code is not None else -1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("in_memory_layer", "async_db_connections")
def test_every_websocket_route_refuses_anonymous_roleless_wrong_role_and_non_members(
        tmp_path, django_capture_on_commit_callbacks):
    from webapp.realtime import CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED

    with django_capture_on_commit_callbacks(execute=False):  # nothing reaches the broker
        world = build_world(tmp_path)
    ids = {"video_id": world.video.pk, "run_id": world.run.pk}
    failures = []
    for route, rule in WS_POLICY.items():
        kwarg = route.split("<int:")[1].split(">")[0]
        path = "/" + route.replace(f"<int:{kwarg}>", str(ids[kwarg]))
        for actor in ACTORS:
            user = world.user(actor, outsider_role(rule))
            query = f"?token={world.token(user)}" if user is not None else ""
            answer = asyncio.run(ws_answer(path + query))
            want = expected(rule, actor, world)
            ok = {"ok": answer is None, "404": answer == CLOSE_NOT_FOUND,
                  "401": answer == CLOSE_UNAUTHENTICATED}.get(want, answer is not None)  # 403: refused
            if not ok:
                failures.append(f"{path} as {actor}: {'let in' if answer is None else answer}, expected {want}")
    assert not failures, "\n".join(failures)
