"""Logs operators can search: one JSON object a line (LOG_FORMAT=json, the deployments' setting) carrying the id of
the request or Celery task that wrote it.

- `RequestIdMiddleware` takes the proxy's `X-Request-ID` (nginx `$request_id`, an ingress' id) or makes one, keeps
  it for the request's log lines and returns it in the response's `X-Request-ID`, so a user's report of a failed
  request leads to its lines.
- `ContextFilter` adds `request_id` and `task_id` (the Celery task running in this thread, if any) to every record;
  the JSON formatter (python-json-logger) writes them beside time, level, logger and message.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")  # what is safe to echo into logs and a header


def current_request_id() -> str:
    return _REQUEST_ID.get()


class RequestIdMiddleware:
    """Django middleware: a request id for each request (module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _VALID.match(given) else uuid.uuid4().hex
        # Not reset when the response leaves the middleware: Django logs a 4xx/5xx ("Not Found: ...") after the
        # chain has returned. `request_finished` clears it (forget_request_id).
        _REQUEST_ID.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def forget_request_id(**kwargs) -> None:
    """On request_finished: log lines after the request (a thread's next work) carry no stale id."""
    _REQUEST_ID.set("")


class ContextFilter(logging.Filter):
    """Adds request_id and task_id to each record (empty outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _REQUEST_ID.get()
        task_id = ""
        try:
            from celery import current_task

            if current_task and current_task.request and current_task.request.id:
                task_id = current_task.request.id
        except Exception:  # noqa: BLE001 - logging must never fail
            pass
        record.task_id = task_id
        return True


def logging_config(*, level: str, json_format: bool) -> dict:
    """settings.LOGGING: text for people at a terminal, JSON for log collectors; both carry the ids."""
    formatter = ({"()": "pythonjsonlogger.json.JsonFormatter",
                  "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s",
                  "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}
                 if json_format else {"format": "%(message)s"})  # as before: what a developer reads
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "webapp.ops.logs.ContextFilter"}},
        "formatters": {"default": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["context"]}},
        "root": {"handlers": ["console"], "level": level},
    }
