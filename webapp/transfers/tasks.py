"""Celery: the sweeper of forgotten uploads (beat, settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from webapp.transfers.services import upload_sessions_expire


@shared_task(name="transfers.expire_uploads")
def expire_uploads() -> list[int]:
    """Sessions past their expiry lose their parts (S3: the multipart upload is aborted) and become expired."""
    return upload_sessions_expire()
