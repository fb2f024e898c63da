"""Verdicts on events, mask revisions of frames and images, the review and correction queues, and the export
of a study's labels (GET /api/studies/{id}/export/?format=kvasir|coco)."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import AnnotatorWrites, ClinicianWrites
from webapp.annotations.exporters import study_export_coco, study_export_kvasir
from webapp.annotations.selectors import (
    MaskTarget,
    correction_queue,
    event_get_visible,
    events_with_verdicts,
    frame_target_get_visible,
    image_target_get_visible,
    mask_state,
    propagation_get_visible,
    proposals_of,
    review_queue,
    revisions_of,
)
from webapp.annotations.serializers import (
    AcceptProposalsSerializer,
    CorrectionItemSerializer,
    MaskStateSerializer,
    PropagateSerializer,
    PropagationSerializer,
    ProposalSerializer,
    QueuedEventSerializer,
    RevisionCreateSerializer,
    RevisionSerializer,
    StudyExportQuerySerializer,
    VerdictCreateSerializer,
    VerdictSerializer,
)
from webapp.annotations.services import (
    RevisionConflict,
    mask_revision_create,
    propagation_request,
    proposals_accept,
    verdict_give,
)
from webapp.studies.selectors import study_get_visible
from webapp.videos.selectors import video_get_visible

# The 409 of a revision save: someone saved first (`conflict`, `current` their revision) or the frame is not
# processed yet (`frame_not_processed`, `current` absent).
RevisionConflictSerializer = inline_serializer("RevisionConflict", {
    "detail": serializers.CharField(),
    "code": serializers.ChoiceField(choices=["conflict", "frame_not_processed"]),
    "current": RevisionSerializer(allow_null=True, required=False),
})


class FlexiblePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class EventVerdictsView(generics.ListAPIView):
    """GET: the event's verdict history, newest first. POST: a new verdict (gastroenterologists, admins)."""

    permission_classes = [ClinicianWrites]
    serializer_class = VerdictSerializer
    pagination_class = None

    def get_queryset(self):
        event = event_get_visible(user=self.request.user, event_id=self.kwargs["event_id"])
        return event.verdicts.select_related("reviewer").order_by("-created_at", "-id")

    @extend_schema(request=VerdictCreateSerializer, responses={201: VerdictSerializer})
    def post(self, request: Request, event_id: int) -> Response:
        event = event_get_visible(user=request.user, event_id=event_id)
        data = VerdictCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        verdict = verdict_give(event=event, reviewer=request.user, **data.validated_data)
        return Response(VerdictSerializer(verdict).data, status=status.HTTP_201_CREATED)


class ReviewQueueView(generics.ListAPIView):
    permission_classes = [ClinicianWrites]
    serializer_class = QueuedEventSerializer
    pagination_class = FlexiblePagination

    def get_queryset(self):
        return events_with_verdicts(review_queue(user=self.request.user))


class CorrectionQueueView(generics.ListAPIView):
    """Paginated like every list (a generic list view, so the schema says so too)."""

    permission_classes = [AnnotatorWrites]
    serializer_class = CorrectionItemSerializer
    pagination_class = FlexiblePagination

    def get_queryset(self):
        return correction_queue(user=self.request.user)


class _TargetMixin:
    def target(self, request: Request, **kwargs) -> MaskTarget:
        if "image_id" in kwargs:
            return image_target_get_visible(user=request.user, image_id=kwargs["image_id"])
        return frame_target_get_visible(user=request.user, video_id=kwargs["video_id"], index=kwargs["index"])


class MaskStateView(_TargetMixin, APIView):
    """The prediction, the ground truth and the current revision of a frame or image."""

    permission_classes = [AnnotatorWrites]

    @extend_schema(responses=MaskStateSerializer)
    def get(self, request: Request, **kwargs) -> Response:
        return Response(MaskStateSerializer(mask_state(target=self.target(request, **kwargs))).data)


class RevisionsView(_TargetMixin, APIView):
    """GET: the revision history, newest first. POST: save a new revision (annotators, admins); 409 when
    someone saved first, with their revision as `current`."""

    permission_classes = [AnnotatorWrites]

    @extend_schema(responses=RevisionSerializer(many=True))
    def get(self, request: Request, **kwargs) -> Response:
        return Response(RevisionSerializer(revisions_of(target=self.target(request, **kwargs)), many=True).data)

    @extend_schema(request=RevisionCreateSerializer,
                   responses={201: RevisionSerializer, 409: RevisionConflictSerializer})
    def post(self, request: Request, **kwargs) -> Response:
        target = self.target(request, **kwargs)
        data = RevisionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        try:
            revision = mask_revision_create(target=target, author=request.user, rle_text=fields["rle"],
                                            based_on_id=fields["based_on"], note=fields["note"])
        except RevisionConflict as exc:
            current = RevisionSerializer(exc.current).data if exc.current else None
            return Response({"detail": exc.message, "code": exc.code, "current": current},
                            status=status.HTTP_409_CONFLICT)
        return Response(RevisionSerializer(revision).data, status=status.HTTP_201_CREATED)


class PropagateView(APIView):
    """Propose masks for the neighbours of a corrected frame (annotators, admins): 202 with the request, whose
    progress GET /api/propagations/{id}/ follows; each reached frame's mask then has the proposal as `current`."""

    permission_classes = [AnnotatorWrites]

    @extend_schema(request=PropagateSerializer, responses={202: PropagationSerializer})
    def post(self, request: Request, video_id: int, index: int) -> Response:
        target = frame_target_get_visible(user=request.user, video_id=video_id, index=index)
        data = PropagateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = propagation_request(video_id=target.video.pk, frame_index=index, user=request.user,  # type: ignore[union-attr]
                                  **data.validated_data)
        response = Response(PropagationSerializer(job).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = f"/api/propagations/{job.pk}/"
        return response


class PropagationView(APIView):
    permission_classes = [AnnotatorWrites]

    @extend_schema(responses=PropagationSerializer)
    def get(self, request: Request, propagation_id: int) -> Response:
        return Response(PropagationSerializer(propagation_get_visible(user=request.user,
                                                                      propagation_id=propagation_id)).data)


class ProposalsView(APIView):
    """GET: the video's frames whose current mask is a proposal. POST accept/: accept frames first..last."""

    permission_classes = [AnnotatorWrites]

    @extend_schema(responses=ProposalSerializer(many=True))
    def get(self, request: Request, video_id: int) -> Response:
        video = video_get_visible(user=request.user, video_id=video_id)
        return Response(ProposalSerializer(proposals_of(video=video), many=True).data)


class AcceptProposalsView(APIView):
    permission_classes = [AnnotatorWrites]

    @extend_schema(request=AcceptProposalsSerializer, responses={200: RevisionSerializer(many=True)})
    def post(self, request: Request, video_id: int) -> Response:
        video = video_get_visible(user=request.user, video_id=video_id)
        data = AcceptProposalsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        accepted = proposals_accept(video_id=video.pk, user=request.user, **data.validated_data)
        return Response(RevisionSerializer(accepted, many=True).data)


class _IgnoreFormatParam(BaseContentNegotiation):
    """DRF reads `?format=` as a renderer name; here it names the export format, and the answer is JSON or a zip."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StudyExportView(APIView):
    """The study's current labels: still images and the video frames people corrected."""

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
