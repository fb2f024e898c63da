"""Probes and scrapes whatever their Host header: kubelet and Prometheus address a pod by its IP (Host: 10.1.2.3:8000),
which is not in ALLOWED_HOSTS, and Django would answer 400 (DisallowedHost) before the view. For /healthz, /readyz and
/metrics only, the Host header is replaced by the first allowed host; every other path is checked as before."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class ProbeHostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in PROBE_PATHS:
            allowed = next((h for h in settings.ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")),
                           "localhost")
            request.META["HTTP_HOST"] = allowed
            request.META.pop("HTTP_X_FORWARDED_HOST", None)
        return self.get_response(request)
