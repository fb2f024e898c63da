"""The web process never loads torch (issue 12): the web image installs no torch, and a web replica holds a few
tens of MB instead of a few hundred. The ASGI application, every URL's view and every websocket consumer are
imported in a fresh interpreter (as the server does, then its first request), and torch must not be among the
modules; the worker side (webapp/videos/pipeline.py, the engines) is imported by the tasks only when they run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
import webapp.asgi
from django.urls import get_resolver
from webapp.routing import websocket_urlpatterns
import webapp.videos.tasks, webapp.mlops.tasks, webapp.annotations.tasks  # the tasks' modules: by name from the web
resolver = get_resolver()
def walk(patterns):
    for p in patterns:
        if hasattr(p, "url_patterns"):
            walk(p.url_patterns)
        else:
            getattr(p.callback, "view_class", None) or getattr(p.callback, "cls", None)
walk(resolver.url_patterns)
print(json.dumps({"torch": sorted(m for m in sys.modules if m == "torch" or m.startswith("torch.")
                                  or m.startswith("inference.engine")),
                  "ws_routes": len(websocket_urlpatterns)}))
"""


def test_the_web_process_imports_no_torch():
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=dict(os.environ), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["ws_routes"] >= 2
    assert seen["torch"] == [], f"the web process loaded {seen['torch'][:5]}"
