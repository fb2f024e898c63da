"""Studies: GET/POST /api/studies/, GET /api/studies/{id}/, POST /api/studies/import/ (Kvasir-SEG zip),
GET /api/studies/{id}/images/, GET /api/images/{id}/image.png. (The export reads labels: annotations/api.py.)"""

from __future__ import annotations

import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import ClinicianWrites
from webapp.studies.importers import study_import_kvasir_upload
from webapp.studies.selectors import (
    image_get_visible,
    still_image_jpeg,
    study_get_visible,
    study_ground_truth_counts,
    study_images,
    study_list_filtered,
)
from webapp.studies.serializers import (
    KvasirImportResultSerializer,
    KvasirImportSerializer,
    StillImageSerializer,
    StudyCreateSerializer,
    StudyFilterSerializer,
    StudyUpdateSerializer,
    StudyWithCountsSerializer,
)
from webapp.studies.services import study_create, study_set_status
from webapp.videos.serializers import FrameJpegQuerySerializer


class StudyListCreateView(generics.ListAPIView):
    """GET: visible studies, filtered by ?status, ?date_from, ?date_to, ?reviewer, with their counts."""

    permission_classes = [ClinicianWrites]
    serializer_class = StudyWithCountsSerializer

    @extend_schema(parameters=[StudyFilterSerializer])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = StudyFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return study_list_filtered(user=self.request.user, **query.validated_data)

    @extend_schema(request=StudyCreateSerializer, responses={201: StudyWithCountsSerializer})
    def post(self, request: Request) -> Response:
        data = StudyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        study = study_create(owner=request.user, **data.validated_data)
        study = study_list_filtered(user=request.user).get(pk=study.pk)
        return Response(StudyWithCountsSerializer(study).data, status=status.HTTP_201_CREATED)


class StudyDetailView(generics.RetrieveAPIView):
    """GET: the study with its counts. PATCH `{status}`: open / in review / closed (gastroenterologists, admins)."""

    permission_classes = [ClinicianWrites]
    serializer_class = StudyWithCountsSerializer

    def get_object(self):
        study = study_get_visible(user=self.request.user, study_id=self.kwargs["study_id"])
        return study_list_filtered(user=self.request.user).get(pk=study.pk)

    @extend_schema(request=StudyUpdateSerializer, responses=StudyWithCountsSerializer)
    def patch(self, request: Request, study_id: int) -> Response:
        data = StudyUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        study_set_status(study=self.get_object(), user=request.user, **data.validated_data)
        return Response(StudyWithCountsSerializer(self.get_object()).data)


class StudyImagesView(generics.ListAPIView):
    permission_classes = [ClinicianWrites]
    serializer_class = StillImageSerializer

    def get_queryset(self):
        return study_images(study=study_get_visible(user=self.request.user, study_id=self.kwargs["study_id"]))


class ImageFileView(APIView):
    """The still image as it was imported (JPEG or PNG; the content type says which), or with ?width= a JPEG
    preview scaled down to that width (thumbnails)."""

    permission_classes = [ClinicianWrites]

    @extend_schema(parameters=[FrameJpegQuerySerializer], responses={(200, "image/*"): OpenApiTypes.BINARY})
    def get(self, request: Request, image_id: int) -> HttpResponse:
        image = image_get_visible(user=request.user, image_id=image_id)
        query = FrameJpegQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if "width" in query.validated_data:
            response = HttpResponse(still_image_jpeg(image=image, width=query.validated_data["width"]),
                                    content_type="image/jpeg")
        else:
            content_type = mimetypes.guess_type(image.file.name)[0] or "application/octet-stream"
            # Through the storage: a file on local disk, or the object read from the bucket (images are small).
            response = FileResponse(default_storage.open(image.file.name, "rb"), content_type=content_type)
        response["Cache-Control"] = "private, max-age=3600"
        return response


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
        study.images_count, study.ground_truth_count = study_ground_truth_counts(study=study)
        return Response(KvasirImportResultSerializer(study).data, status=status.HTTP_201_CREATED)
