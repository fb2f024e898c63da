"""The production web server: uvicorn serving webapp.asgi (HTTP and websockets), with Polypscope's options.

    python -m webapp.server [--host 0.0.0.0] [--port 8000] [--workers N]

One command for production (deploy/), the browser tests, the load benchmark and the body-limit tests, so what is
measured is what runs. Why uvicorn (it replaced daphne, issue 11 defect 1): it hands a request body to the
application chunk by chunk and stops reading the socket while the application has not taken the last chunk (flow
control), and Django's ASGI handler spools what it takes to a temporary file past FILE_UPLOAD_MAX_MEMORY_SIZE. So an
upload of any size costs the web process a few MB of memory; daphne (Twisted) received each whole body and then
queued all of it in memory for the application. The body guard (webapp/guards.py) still refuses anonymous and
oversized bodies before Django reads them.

Options, each with its environment variable (settings are not imported here: the parent of several workers stays
small):
    --host / WEB_HOST            default 127.0.0.1
    --port / WEB_PORT            default 8000
    --workers / WEB_CONCURRENCY  processes, default 1: each is one Python interpreter, so one core's worth of Django;
                                 run about one per core (README "Performance": one process holds about N reviewers)
    FORWARDED_ALLOW_IPS          proxies whose X-Forwarded-For/-Proto are trusted, default 127.0.0.1 (uvicorn's)
    DATABASE_POOL_MAX_SIZE       PostgreSQL connections per process through a pool, default 16 here (settings)
    WEB_GRACEFUL_S               seconds a stopping server lets requests and websockets finish, default 20 (inside
                                 Kubernetes' default 30 s grace period)
"""

from __future__ import annotations

import argparse
import os
import sys

APP = "webapp.asgi:application"
# PostgreSQL connections per web process (settings DATABASE_POOL_MAX_SIZE): requests run in threads, and a burst of
# them waits for a pooled connection rather than opening one each until PostgreSQL refuses.
POOL_MAX_SIZE = 16


def options(*, host: str, port: int, workers: int = 1) -> dict:
    """uvicorn.run's keyword arguments: httptools and uvloop (uvicorn's fast C parsers and loop), websockets through
    the sans-I/O websockets implementation, no lifespan (Django has none), a graceful stop, proxy headers."""
    return {
        "host": host,
        "port": port,
        "workers": workers,
        "http": "httptools",
        "loop": "uvloop",
        "ws": "websockets-sansio",
        "lifespan": "off",
        "proxy_headers": True,
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "timeout_graceful_shutdown": int(os.environ.get("WEB_GRACEFUL_S", "20")),
        "server_header": False,
        "access_log": os.environ.get("WEB_ACCESS_LOG", "1") not in ("0", "false", "no", "off"),
    }


def command(*, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, app: str = APP) -> list[str]:
    """The argv that starts this server in a child process (tests and benchmarks; `app` for a test's variant)."""
    return [sys.executable, "-m", "webapp.server", "--host", host, "--port", str(port), "--workers", str(workers),
            "--app", app]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m webapp.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))
    parser.add_argument("--app", default=APP, help=argparse.SUPPRESS)  # tests serve a variant of the application
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    os.environ.setdefault("DATABASE_POOL_MAX_SIZE", str(POOL_MAX_SIZE))
    import uvicorn

    uvicorn.run(args.app, **options(host=args.host, port=args.port, workers=args.workers))


if __name__ == "__main__":
    main()
