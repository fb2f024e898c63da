"""The CSV export as the ASGI server serves it (an ASGI request): an async stream that fetches chunk after chunk,
the same rows as the sync path, nothing lost at the chunk boundaries."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from django.test import AsyncClient

from tests.webapp.accounts.factories import make_user
from webapp.accounts.models import Role
from webapp.audit import api
from webapp.audit.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_asgi_export_streams_every_entry_in_chunks(monkeypatch, async_db_connections):
    admin = make_user(Role.ADMIN, username="asgi-admin")
    for n in range(6):
        make_user(Role.ANNOTATOR, username=f"asgi-{n}")
    monkeypatch.setattr(api, "EXPORT_CHUNK", 2)

    async def download() -> tuple[int, list[str], str]:
        client = AsyncClient()
        await client.aforce_login(admin)
        response = await client.get("/api/audit/export/?action=user_create")
        assert response.streaming and response.is_async  # not read to the end before sending
        parts = [part async for part in response.streaming_content]
        return response.status_code, parts, response["Content-Type"]

    status, parts, content_type = asyncio.run(download())
    assert status == 200 and content_type == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO("".join(p.decode() if isinstance(p, bytes) else p for p in parts))))
    expected = list(AuditEntry.objects.filter(action="user_create").order_by("-at", "-id")
                    .values_list("target_id", flat=True))
    assert [r["target_id"] for r in rows] == expected and len(expected) == 7
