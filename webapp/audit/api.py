"""The audit log for admins: GET /api/audit/ (filtered, newest first, paginated), GET /api/audit/export/ (the
same filters, a CSV download that streams) and GET /api/audit/choices/ (the filters' options)."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Iterable, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import IsAdminRole
from webapp.audit.models import Action, AuditEntry
from webapp.audit.selectors import (
    EXPORT_CHUNK,
    AuditFilter,
    audit_entry_chunk,
    audit_entry_chunks,
    audit_entry_list,
    audit_target_types,
)
from webapp.audit.services import audit_record

CSV_COLUMNS = ["at", "actor", "action", "action_label", "target_type", "target_id", "detail"]


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor_username", "action", "target_type", "target_id", "detail"]


class AuditFilterSerializer(serializers.Serializer):
    """The query string. CharField refuses NUL characters, so odd input is a 400, never a database error."""

    actor = serializers.CharField(max_length=150, required=False, allow_blank=True)
    action = serializers.ChoiceField(choices=Action.values, required=False, allow_blank=True)
    target_type = serializers.CharField(max_length=64, required=False, allow_blank=True)
    target_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": ["the end date is before the start date"]})
        return attrs

    @classmethod
    def filters(cls, request: Request) -> AuditFilter:
        data = cls(data=request.query_params)
        data.is_valid(raise_exception=True)
        return AuditFilter(**{k: v for k, v in data.validated_data.items() if v not in ("", None)})


class AuditPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class AuditEntryListView(generics.ListAPIView):
    permission_classes = [IsAdminRole]
    serializer_class = AuditEntrySerializer
    pagination_class = AuditPagination

    @extend_schema(parameters=[AuditFilterSerializer])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return audit_entry_list(filters=AuditFilterSerializer.filters(self.request))


class _Echo:
    """csv.writer writes into this and gets the line back (Django's streaming CSV recipe)."""

    def write(self, value: str) -> str:
        return value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    # A cell that a spreadsheet would run as a formula is quoted with ' (OWASP's CSV injection advice): a
    # username or a note is text, and the file is meant to be opened in a spreadsheet.
    return "'" + value if value.startswith(_FORMULA_START) else value


def _row(entry: AuditEntry) -> list[str]:
    return [entry.at.isoformat(), _cell(entry.actor_username), entry.action, Action(entry.action).label
            if entry.action in Action.values else "", _cell(entry.target_type), _cell(entry.target_id),
            _cell(json.dumps(entry.detail, sort_keys=True))]


def _lines(chunks: Iterable[list[AuditEntry]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for chunk in chunks:
        for entry in chunk:
            yield writer.writerow(_row(entry))


async def _lines_async(filters: AuditFilter) -> AsyncIterator[str]:
    """Under ASGI Django would read a sync iterator to the end before sending anything; this one
    fetches each chunk in the sync thread and sends it before the next."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    size, after = EXPORT_CHUNK, None
    while True:
        chunk = await sync_to_async(audit_entry_chunk)(filters=filters, after=after, size=size)
        for entry in chunk:
            yield writer.writerow(_row(entry))
        if len(chunk) < size:
            return
        after = (chunk[-1].at, chunk[-1].pk)


class AuditExportView(APIView):
    """The filtered log as CSV (UTF-8, newest first), streamed; the download itself is audited."""

    permission_classes = [IsAdminRole]

    @extend_schema(parameters=[AuditFilterSerializer], responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request) -> StreamingHttpResponse:
        filters = AuditFilterSerializer.filters(request)
        audit_record(actor=request.user, action=Action.EXPORT,
                     detail={"what": "audit_log", "filters": {k: str(v) for k, v in vars(filters).items() if v}})
        if isinstance(request._request, ASGIRequest):
            content: Iterable[str] | AsyncIterator[str] = _lines_async(filters)
        else:
            content = _lines(audit_entry_chunks(filters=filters))
        response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
        name = f"polypscope-audit-{timezone.now():%Y%m%d-%H%M%S}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


class _Choice(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class AuditChoicesSerializer(serializers.Serializer):
    actions = _Choice(many=True)
    target_types = serializers.ListField(child=serializers.CharField())


class AuditChoicesView(APIView):
    """The audit page's filter options: every action with its label, the object types the log names."""

    permission_classes = [IsAdminRole]

    @extend_schema(responses=AuditChoicesSerializer)
    def get(self, request: Request) -> Response:
        return Response({"actions": [{"value": value, "label": label} for value, label in Action.choices],
                         "target_types": audit_target_types()})
