"""Polypscope web app: Django (ASGI: HTTP + websockets), Celery workers, the inference engine behind them."""

from webapp.celery import app as celery_app

__all__ = ["celery_app"]
