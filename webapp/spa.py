"""The review UI: a single-page app built by Vite (frontend/) into webapp/frontend_dist/.

Its index.html answers `/` and every path under `/app/` (the client routes them); its assets are static
files under /static/app/ (whitenoise). The index also sets the CSRF cookie the app echoes on writes.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe


@require_safe
@ensure_csrf_cookie
def spa_index(request: HttpRequest, path: str = "") -> HttpResponse:
    index = settings.FRONTEND_DIST / "index.html"
    if not index.is_file():
        return HttpResponse(
            "The review UI is not built: run `make run` (or `cd frontend && npm ci && npm run build`).",
            status=503, content_type="text/plain",
        )
    response = HttpResponse(index.read_bytes(), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # assets carry hashes in their names; the index must not be stale
    return response
