"""Videos: upload to a study, status, timeline, events, frame image and mask, cancel, resume."""

from __future__ import annotations

import mimetypes

from django.core.files.storage import default_storage
from django.http import HttpResponse, HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import AdminWrites, ClinicianWrites, IsAdminRole
from webapp.annotations.selectors import events_with_verdicts
from webapp.annotations.serializers import EventSerializer
from webapp.media import local_path
from webapp.ranges import ranged_file_response
from webapp.studies.selectors import study_get_visible
from webapp.videos.selectors import (
    video_events,
    video_frame_jpeg,
    video_frame_png,
    video_get_visible,
    video_list_with_counts,
    video_mask_png,
    video_masks,
    video_timeline,
)
from webapp.videos.serializers import (
    FrameJpegQuerySerializer,
    MaskChunkQuerySerializer,
    MaskChunkSerializer,
    TimelineSerializer,
    VideoSerializer,
    VideoUploadSerializer,
)
from webapp.videos.services import video_cancel, video_delete, video_reprocess, video_resume, video_upload


class StudyVideosView(generics.ListAPIView):
    permission_classes = [ClinicianWrites]
    serializer_class = VideoSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return video_list_with_counts(study=study_get_visible(user=self.request.user, study_id=self.kwargs["study_id"]))

    @extend_schema(request={"multipart/form-data": VideoUploadSerializer}, responses={201: VideoSerializer})
    def post(self, request: Request, study_id: int) -> Response:
        study = study_get_visible(user=request.user, study_id=study_id)
        data = VideoUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        video = video_upload(study=study, upload=data.validated_data["file"], user=request.user)
        return Response(VideoSerializer(video).data, status=status.HTTP_201_CREATED)


class VideoDetailView(generics.RetrieveDestroyAPIView):
    """GET: any role that sees the study. DELETE: admins (audited; refused while processing)."""

    permission_classes = [AdminWrites]
    serializer_class = VideoSerializer

    def get_object(self):
        video = video_get_visible(user=self.request.user, video_id=self.kwargs["video_id"])
        return video_list_with_counts(study=video.study).get(pk=video.pk)  # with its event counts

    def perform_destroy(self, instance) -> None:
        video_delete(video=instance, user=self.request.user)


class VideoFileView(APIView):
    """The uploaded file, with HTTP Range (a <video> element seeks by byte ranges).

    With remote storage (S3_BUCKET): a redirect (302) to a presigned URL of the object, valid
    S3_URL_EXPIRE_S. The store serves the ranges itself, and the bytes do not pass through this process
    (django-storages' S3File would download the whole object before the first byte could be sent).
    """

    permission_classes = [ClinicianWrites]

    @extend_schema(responses={(200, "video/*"): OpenApiTypes.BINARY, (206, "video/*"): OpenApiTypes.BINARY})
    def get(self, request: Request, video_id: int) -> HttpResponse:
        video = video_get_visible(user=request.user, video_id=video_id)
        path = local_path(video.file.name)
        if path is None:
            return HttpResponseRedirect(default_storage.url(video.file.name))
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return ranged_file_response(request._request, path, content_type)


class VideoMasksView(APIView):
    """The model's masks of a range of frames as RLE strings: the player's overlay, one request a chunk."""

    permission_classes = [ClinicianWrites]

    @extend_schema(parameters=[MaskChunkQuerySerializer], responses=MaskChunkSerializer)
    def get(self, request: Request, video_id: int) -> Response:
        video = video_get_visible(user=request.user, video_id=video_id)
        query = MaskChunkQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(video_masks(video=video, **query.validated_data))


class VideoTimelineView(APIView):
    permission_classes = [ClinicianWrites]

    @extend_schema(responses=TimelineSerializer)
    def get(self, request: Request, video_id: int) -> Response:
        return Response(video_timeline(video=video_get_visible(user=request.user, video_id=video_id)))


class VideoEventsView(generics.ListAPIView):
    """Every event of the video with its current verdict, in frame order (one list: a video has tens)."""

    permission_classes = [ClinicianWrites]
    serializer_class = EventSerializer
    pagination_class = None

    def get_queryset(self):
        video = video_get_visible(user=self.request.user, video_id=self.kwargs["video_id"])
        return events_with_verdicts(video_events(video=video))


class VideoCancelView(APIView):
    permission_classes = [ClinicianWrites]

    @extend_schema(request=None, responses=VideoSerializer)
    def post(self, request: Request, video_id: int) -> Response:
        video = video_cancel(video=video_get_visible(user=request.user, video_id=video_id), user=request.user)
        return Response(VideoSerializer(video).data)


class VideoResumeView(APIView):
    """Queue a cancelled video again; it continues after its last stored frame (gastroenterologists, admins)."""

    permission_classes = [ClinicianWrites]

    @extend_schema(request=None, responses=VideoSerializer)
    def post(self, request: Request, video_id: int) -> Response:
        video = video_resume(video=video_get_visible(user=request.user, video_id=video_id), user=request.user)
        return Response(VideoSerializer(video).data)


class VideoReprocessView(APIView):
    """Process the video again with the active model (admins); its verdicts and corrections stay."""

    permission_classes = [IsAdminRole]

    @extend_schema(request=None, responses=VideoSerializer)
    def post(self, request: Request, video_id: int) -> Response:
        video = video_reprocess(video=video_get_visible(user=request.user, video_id=video_id), user=request.user)
        return Response(VideoSerializer(video).data)


class FrameImageView(APIView):
    permission_classes = [ClinicianWrites]

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    def get(self, request: Request, video_id: int, index: int) -> HttpResponse:
        video = video_get_visible(user=request.user, video_id=video_id)
        return HttpResponse(video_frame_png(video=video, index=index), content_type="image/png")


class FrameJpegView(APIView):
    permission_classes = [ClinicianWrites]

    @extend_schema(parameters=[FrameJpegQuerySerializer], responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request: Request, video_id: int, index: int) -> HttpResponse:
        video = video_get_visible(user=request.user, video_id=video_id)
        query = FrameJpegQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        jpeg = video_frame_jpeg(video=video, index=index, width=query.validated_data.get("width"))
        response = HttpResponse(jpeg, content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"  # a stored video's frames never change
        return response


class FrameMaskView(APIView):
    permission_classes = [ClinicianWrites]

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    def get(self, request: Request, video_id: int, index: int) -> HttpResponse:
        video = video_get_visible(user=request.user, video_id=video_id)
        return HttpResponse(video_mask_png(video=video, index=index), content_type="image/png")
