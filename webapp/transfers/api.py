"""Resumable uploads: POST/GET /api/studies/{id}/uploads/, GET/DELETE /api/uploads/{id}/,
PUT /api/uploads/{id}/parts/{n}/ (local disk only), POST /api/uploads/{id}/complete/."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.models import Role
from webapp.accounts.permissions import ClinicianWrites
from webapp.studies.selectors import study_get_visible
from webapp.transfers.selectors import upload_progress, upload_session_get_visible, upload_sessions_open
from webapp.transfers.serializers import (
    PartSerializer,
    UploadProgressSerializer,
    UploadSessionSerializer,
    UploadStartSerializer,
)
from webapp.transfers.services import (
    upload_part_receive,
    upload_session_abort,
    upload_session_complete,
    upload_session_create,
)
from webapp.videos.serializers import VideoSerializer


class Uploaders(ClinicianWrites):
    """Gastroenterologists and admins, reads included: an upload session is its uploader's business."""

    def allowed(self, request) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_role(Role.GASTROENTEROLOGIST, Role.ADMIN))


class RawBody(BaseParser):
    """A part's bytes (the view streams them itself; this parser only names the media type for the schema)."""

    media_type = "*/*"


def _progress(session) -> dict:
    return UploadProgressSerializer.of(upload_progress(session=session))


class StudyUploadsView(generics.ListAPIView):
    """GET: your sessions of the study that still take parts. POST {filename, size}: start one."""

    permission_classes = [Uploaders]
    serializer_class = UploadSessionSerializer
    pagination_class = None
    parser_classes = [JSONParser]

    def get_queryset(self):
        study = study_get_visible(user=self.request.user, study_id=self.kwargs["study_id"])
        return upload_sessions_open(user=self.request.user, study=study)

    @extend_schema(request=UploadStartSerializer, responses={201: UploadProgressSerializer})
    def post(self, request: Request, study_id: int) -> Response:
        study = study_get_visible(user=request.user, study_id=study_id)
        data = UploadStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = upload_session_create(study=study, user=request.user, **data.validated_data)
        return Response(_progress(session), status=status.HTTP_201_CREATED)


class UploadDetailView(APIView):
    """GET: the parts the store holds, what is missing and where to send it (resume from here). DELETE: abort."""

    permission_classes = [Uploaders]

    @extend_schema(responses=UploadProgressSerializer)
    def get(self, request: Request, upload_id: int) -> Response:
        return Response(_progress(upload_session_get_visible(user=request.user, upload_id=upload_id)))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, upload_id: int) -> Response:
        upload_session_abort(session=upload_session_get_visible(user=request.user, upload_id=upload_id),
                             user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadPartView(APIView):
    """PUT the raw bytes of part n (local disk only; with S3 the parts go to the bucket's presigned URLs)."""

    permission_classes = [Uploaders]
    parser_classes = [RawBody]

    @extend_schema(request={"application/octet-stream": OpenApiTypes.BINARY}, responses=PartSerializer)
    def put(self, request: Request, upload_id: int, number: int) -> Response:
        session = upload_session_get_visible(user=request.user, upload_id=upload_id)
        stated = request.META.get("CONTENT_LENGTH")
        length = int(stated) if stated and stated.isdigit() else None
        size = upload_part_receive(session=session, number=number, length=length, read=request._request.read)
        return Response({"number": number, "size": size})


class UploadCompleteView(APIView):
    """Assemble the parts, check the file as a single upload is checked, and make the video."""

    permission_classes = [Uploaders]

    @extend_schema(request=None, responses={201: VideoSerializer, 200: VideoSerializer})
    def post(self, request: Request, upload_id: int) -> Response:
        session = upload_session_get_visible(user=request.user, upload_id=upload_id)
        video, created = upload_session_complete(session=session, user=request.user)
        return Response(VideoSerializer(video).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
