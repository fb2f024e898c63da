"""Studies: GET/POST /api/studies/, GET /api/studies/{id}/, POST /api/studies/import/ (Kvasir-SEG zip),
GET /api/studies/{id}/export/?format=kvasir|coco."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import ClinicianWrites
from webapp.studies.exporters import study_export_coco, study_export_kvasir
from webapp.studies.importers import study_import_kvasir_upload
from webapp.studies.selectors import study_get_visible, study_label_counts, study_list_visible
from webapp.studies.serializers import (
    KvasirImportResultSerializer,
    KvasirImportSerializer,
    StudyCreateSerializer,
    StudyExportQuerySerializer,
    StudySerializer,
)
from webapp.studies.services import study_create


class StudyListCreateView(generics.ListAPIView):
    permission_classes = [ClinicianWrites]
    serializer_class = StudySerializer

    def get_queryset(self):
        return study_list_visible(user=self.request.user)

    @extend_schema(request=StudyCreateSerializer, responses={201: StudySerializer})
    def post(self, request: Request) -> Response:
        data = StudyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        study = study_create(owner=request.user, **data.validated_data)
        return Response(StudySerializer(study).data, status=status.HTTP_201_CREATED)


class StudyDetailView(generics.RetrieveAPIView):
    permission_classes = [ClinicianWrites]
    serializer_class = StudySerializer

    def get_object(self):
        return study_get_visible(user=self.request.user, study_id=self.kwargs["study_id"])


class StudyImportView(APIView):
    """Whoever may create studies may import one (ClinicianWrites on POST)."""

    permission_classes = [ClinicianWrites]
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": KvasirImportSerializer},
                   responses={201: KvasirImportResultSerializer})
    def post(self, request: Request) -> Response:
        data = KvasirImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        study = study_import_kvasir_upload(owner=request.user, upload=fields.pop("file"), **fields)
        study.images_count, study.ground_truth_count = study_label_counts(study=study)
        return Response(KvasirImportResultSerializer(study).data, status=status.HTTP_201_CREATED)


class _IgnoreFormatParam(BaseContentNegotiation):
    """DRF reads `?format=` as a renderer name; here it names the export format, and the answer is JSON or a zip."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StudyExportView(APIView):
    permission_classes = [ClinicianWrites]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _IgnoreFormatParam

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["kvasir", "coco"], required=True)],
        responses={(200, "application/zip"): OpenApiTypes.BINARY, (200, "application/json"): OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, study_id: int) -> Response | FileResponse:
        study = study_get_visible(user=request.user, study_id=study_id)
        query = StudyExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data["format"] == "coco":
            return Response(study_export_coco(study=study, user=request.user))
        return FileResponse(study_export_kvasir(study=study, user=request.user), as_attachment=True,
                            filename=f"study-{study.pk}-kvasir.zip", content_type="application/zip")
