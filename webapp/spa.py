"""The review UI: a single-page app built by Vite (frontend/) into webapp/frontend_dist/.

Its index.html answers `/` and every path under `/app/` (the client routes them); its assets are static
files under /static/app/ (whitenoise). The index also sets the CSRF cookie the app echoes on writes, and
carries who is logged in (what GET /api/auth/session/ would answer), which saves the app a round trip
before its first page can ask for data.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from webapp.accounts.api import SessionUserSerializer  # the same shape as GET /api/auth/session/


@require_safe
@ensure_csrf_cookie
def spa_index(request: HttpRequest, path: str = "") -> HttpResponse:
    index = settings.FRONTEND_DIST / "index.html"
    if not index.is_file():
        return HttpResponse(
            "The review UI is not built: run `make run` (or `cd frontend && npm ci && npm run build`).",
            status=503, content_type="text/plain",
        )
    html = index.read_text(encoding="utf-8").replace("</head>", _session_script(request) + "</head>", 1)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # assets carry hashes in their names; the index must not be stale
    return response


def _session_script(request: HttpRequest) -> str:
    user = request.user
    data = SessionUserSerializer(user).data if user.is_authenticated and user.is_active else None
    # "<" escaped, so no value can close the script element early.
    payload = json.dumps(data).replace("<", "\\u003c")
    return f'<script id="polypscope-session" type="application/json">{payload}</script>'
