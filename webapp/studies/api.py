"""Studies: GET/POST /api/studies/, GET /api/studies/{id}/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from webapp.accounts.permissions import ClinicianWrites
from webapp.studies.selectors import study_get_visible, study_list_visible
from webapp.studies.serializers import StudyCreateSerializer, StudySerializer
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
