"""The production settings, in a fresh Python process without POLYPSCOPE_LOCAL (as a deployment starts Django):
`check --deploy` passes clean, each required variable is refused by name when missing (no localhost fallback), a
secret may come from a file (*_FILE), and plain HTTP is redirected to HTTPS except for the probes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION = {
    "SECRET_KEY": "k" * 20 + "-production-test-key-with-enough-entropy-0123456789",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/polypscope",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "polypscope.example.org",
}
LOCAL_ONLY = ("POLYPSCOPE_LOCAL", "DEBUG", "POLYPSCOPE_EMBEDDED", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE",
              "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", *PRODUCTION, *(f"{name}_FILE" for name in PRODUCTION))


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LOCAL_ONLY}
    env.update(PRODUCTION)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_passes_clean_with_the_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("name", sorted(PRODUCTION))
def test_production_refuses_to_start_without_each_required_variable(name):
    result = _manage("check", env=_env(**{name: None}))
    assert result.returncode != 0
    assert f"environment variable {name} is required" in result.stderr


def test_a_secret_may_come_from_a_file(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("from-a-file-" + "x" * 50 + "\n")
    script = "from django.conf import settings; print(settings.SECRET_KEY)"
    result = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {script}"], cwd=ROOT,
                            env={**_env(SECRET_KEY=None, SECRET_KEY_FILE=str(secret)),
                                 "DJANGO_SETTINGS_MODULE": "webapp.settings"},
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "from-a-file-" + "x" * 50, result.stderr


PROBE = """
import json, django
django.setup()
from django.test import Client
c = Client(HTTP_HOST="polypscope.example.org")
plain = c.get("/api/auth/session/")
probe = c.get("/healthz")
https = c.get("/api/auth/session/", secure=True)
proxied = c.get("/api/auth/session/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({"plain": [plain.status_code, plain.get("Location")], "probe": probe.status_code,
                  "hsts": https.get("Strict-Transport-Security"), "proxied": proxied.status_code}))
"""


def test_plain_http_is_redirected_to_https_but_the_probes_are_not():
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT,
                            env={**_env(), "DJANGO_SETTINGS_MODULE": "webapp.settings"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://polypscope.example.org/api/auth/session/"]
    assert seen["probe"] == 200
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["proxied"] in (200, 401, 403)  # served (not redirected) behind the TLS-terminating proxy
