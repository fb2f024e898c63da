"""Studies: GET/POST /api/studies/, GET/PATCH /api/studies/{id}/, PUT /api/studies/{id}/members/,
POST /api/studies/import/ (Kvasir-SEG zip), GET/POST /api/studies/{id}/images/, GET /api/studies/{id}/report/,
GET /api/images/{id}/image.png. (The export reads labels: annotations/api.py.)"""

from __future__ import annotations

import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import AdminWrites, ClinicianWrites
from webapp.studies.importers import study_images_add, study_import_kvasir_upload
from webapp.studies.report import study_report
from webapp.studies.selectors import (
    image_get_visible,
    still_image_jpeg,
    study_get_visible,
    study_ground_truth_counts,
    study_images,
    study_list_filtered,
)
from webapp.studies.serializers import (
    ImagesAddedSerializer,
    ImagesUploadSerializer,
    KvasirImportResultSerializer,
    KvasirImportSerializer,
    StillImageSerializer,
    StudyCreateSerializer,
    StudyFilterSerializer,
    StudyMembersSerializer,
    StudyReportSerializer,
    StudyUpdateSerializer,
    StudyWithCountsSerializer,
)
from webapp.studies.services import study_create, study_set_members, study_set_status
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
        fields = dict(data.validated_data)
        study = study_create(owner=request.user, member_ids=fields.pop("members", None), **fields)
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
        study = self.get_object()  # 404 for a study the user may not see, whatever the body says
        data = StudyUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        study_set_status(study=study, user=request.user, **data.validated_data)
        return Response(StudyWithCountsSerializer(self.get_object()).data)


class StudyMembersView(APIView):
    """PUT `{members: [user ids]}`: exactly these gastroenterologists and annotators see the study (admins)."""

    permission_classes = [AdminWrites]
    parser_classes = [JSONParser]

    @extend_schema(request=StudyMembersSerializer, responses=StudyWithCountsSerializer)
    def put(self, request: Request, study_id: int) -> Response:
        study = study_get_visible(user=request.user, study_id=study_id)
        data = StudyMembersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        study_set_members(study=study, member_ids=data.validated_data["members"], user=request.user)
        return Response(StudyWithCountsSerializer(study_list_filtered(user=request.user).get(pk=study.pk)).data)


class StudyImagesView(generics.ListAPIView):
    """GET: the study's still images. POST multipart `files` (one or more): JPEG or PNG images, or Kvasir-SEG zips,
    added to the study and predicted by the model (gastroenterologists, admins; all or nothing)."""

    permission_classes = [ClinicianWrites]
    serializer_class = StillImageSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return study_images(study=study_get_visible(user=self.request.user, study_id=self.kwargs["study_id"]))

    @extend_schema(request={"multipart/form-data": ImagesUploadSerializer}, responses={201: ImagesAddedSerializer})
    def post(self, request: Request, study_id: int) -> Response:
        study = study_get_visible(user=request.user, study_id=study_id)
        data = ImagesUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = study_images_add(study=study, user=request.user, uploads=data.validated_data["files"])
        added = study_images(study=study).filter(pk__in=ids)
        return Response(ImagesAddedSerializer({"images": added}).data, status=status.HTTP_201_CREATED)


class StudyReportView(APIView):
    """The sign-off report: procedure, sign-off, videos with their events and current verdicts, reviewers, models."""

    permission_classes = [ClinicianWrites]

    @extend_schema(responses=StudyReportSerializer)
    def get(self, request: Request, study_id: int) -> Response:
        study = study_get_visible(user=request.user, study_id=study_id)
        return Response(StudyReportSerializer(study_report(study=study)).data)


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
