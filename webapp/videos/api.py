"""Videos: upload to a study, status, timeline, events, frame image and mask, cancel."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import ClinicianWrites
from webapp.studies.selectors import study_get_visible
from webapp.videos.selectors import (
    video_events,
    video_frame_png,
    video_get_visible,
    video_list_for_study,
    video_mask_png,
    video_timeline,
)
from webapp.videos.serializers import PolypEventSerializer, TimelineSerializer, VideoSerializer, VideoUploadSerializer
from webapp.videos.services import video_cancel, video_upload


class StudyVideosView(generics.ListAPIView):
    permission_classes = [ClinicianWrites]
    serializer_class = VideoSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return video_list_for_study(study=study_get_visible(user=self.request.user, study_id=self.kwargs["study_id"]))

    @extend_schema(request={"multipart/form-data": VideoUploadSerializer}, responses={201: VideoSerializer})
    def post(self, request: Request, study_id: int) -> Response:
        study = study_get_visible(user=request.user, study_id=study_id)
        data = VideoUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        video = video_upload(study=study, upload=data.validated_data["file"], user=request.user)
        return Response(VideoSerializer(video).data, status=status.HTTP_201_CREATED)


class VideoDetailView(generics.RetrieveAPIView):
    permission_classes = [ClinicianWrites]
    serializer_class = VideoSerializer

    def get_object(self):
        return video_get_visible(user=self.request.user, video_id=self.kwargs["video_id"])


class VideoTimelineView(APIView):
    permission_classes = [ClinicianWrites]

    @extend_schema(responses=TimelineSerializer)
    def get(self, request: Request, video_id: int) -> Response:
        return Response(video_timeline(video=video_get_visible(user=request.user, video_id=video_id)))


class VideoEventsView(generics.ListAPIView):
    permission_classes = [ClinicianWrites]
    serializer_class = PolypEventSerializer

    def get_queryset(self):
        return video_events(video=video_get_visible(user=self.request.user, video_id=self.kwargs["video_id"]))


class VideoCancelView(APIView):
    permission_classes = [ClinicianWrites]

    @extend_schema(request=None, responses=VideoSerializer)
    def post(self, request: Request, video_id: int) -> Response:
        video = video_cancel(video=video_get_visible(user=request.user, video_id=video_id), user=request.user)
        return Response(VideoSerializer(video).data)


class FrameImageView(APIView):
    permission_classes = [ClinicianWrites]

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    def get(self, request: Request, video_id: int, index: int) -> HttpResponse:
        video = video_get_visible(user=request.user, video_id=video_id)
        return HttpResponse(video_frame_png(video=video, index=index), content_type="image/png")


class FrameMaskView(APIView):
    permission_classes = [ClinicianWrites]

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    def get(self, request: Request, video_id: int, index: int) -> HttpResponse:
        video = video_get_visible(user=request.user, video_id=video_id)
        return HttpResponse(video_mask_png(video=video, index=index), content_type="image/png")
