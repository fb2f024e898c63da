"""Reads on the audit log: the filtered list (the audit page, GET /api/audit/) and its CSV export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from webapp.audit.models import AuditEntry

EXPORT_CHUNK = 2000  # rows a query while the CSV streams: a few hundred kB each, one round trip


@dataclass(frozen=True)
class AuditFilter:
    """Every filter is optional. Dates are whole days in the server's time zone (settings.TIME_ZONE, UTC),
    both ends included. actor: the username as recorded (so entries of a deleted user still match)."""

    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_entry_list(*, action: str | None = None, filters: AuditFilter | None = None) -> QuerySet[AuditEntry]:
    """Newest first."""
    f = filters or AuditFilter(action=action)
    entries = AuditEntry.objects.all()
    if f.actor is not None:
        entries = entries.filter(actor_username=f.actor)
    if f.action:
        entries = entries.filter(action=f.action)
    if f.target_type:
        entries = entries.filter(target_type=f.target_type)
    if f.target_id:
        entries = entries.filter(target_id=f.target_id)
    if f.date_from:
        entries = entries.filter(at__gte=_day_start(f.date_from))
    if f.date_to:
        entries = entries.filter(at__lt=_day_start(f.date_to + dt.timedelta(days=1)))
    return entries.order_by("-at", "-id")


def audit_entry_chunks(*, filters: AuditFilter, size: int = EXPORT_CHUNK) -> Iterator[list[AuditEntry]]:
    """The same entries in chunks, newest first, each chunk one query after the last row of the previous
    one (keyset, not OFFSET: the export stays linear however long the log, and entries written meanwhile
    do not shift it)."""
    after: tuple[dt.datetime, int] | None = None
    while True:
        chunk = audit_entry_chunk(filters=filters, after=after, size=size)
        if chunk:
            yield chunk
        if len(chunk) < size:
            return
        after = (chunk[-1].at, chunk[-1].pk)


def audit_entry_chunk(*, filters: AuditFilter, after: tuple[dt.datetime, int] | None,
                      size: int = EXPORT_CHUNK) -> list[AuditEntry]:
    """One chunk of audit_entry_chunks (a separate call so an async caller can run each in a thread)."""
    entries = audit_entry_list(filters=filters)
    if after is not None:
        at, pk = after
        entries = entries.filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))
    return list(entries[:size])


def audit_target_types() -> list[str]:
    """The kinds of object the log names ("studies.study", ...), for the audit page's filter."""
    return list(AuditEntry.objects.exclude(target_type="").order_by("target_type")
                .values_list("target_type", flat=True).distinct())
