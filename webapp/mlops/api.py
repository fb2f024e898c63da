"""Model versions and fine-tuning runs (admins): list, promote, download; start, follow, cancel runs."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.permissions import IsAdminRole
from webapp.annotations.selectors import corrections_by_model_version
from webapp.mlops.models import ModelVersion, TrainingRun
from webapp.mlops.runs import training_run_cancel, training_run_start
from webapp.mlops.serializers import (
    ModelVersionSerializer,
    PromoteSerializer,
    RunConfigSerializer,
    TrainingRunSerializer,
)
from webapp.mlops.services import model_cards, model_version_promote


def _version_context() -> dict:
    return {"cards": model_cards(), "corrections": corrections_by_model_version()}


class ModelVersionListView(generics.ListAPIView):
    permission_classes = [IsAdminRole]
    serializer_class = ModelVersionSerializer
    pagination_class = None
    queryset = ModelVersion.objects.select_related("parent", "promoted_by").order_by("-is_active", "-created_at")

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), **_version_context()}


def _version(version_id: int) -> ModelVersion:
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise Http404("no such model version")
    return version


class ModelPromoteView(APIView):
    """Make a version the active model (the rollback too: promote an older one). 409 when its gate failed
    (code gate_failed) or it was never gated (no_gate) and no override_reason is given."""

    permission_classes = [IsAdminRole]

    @extend_schema(request=PromoteSerializer, responses={200: ModelVersionSerializer})
    def post(self, request: Request, version_id: int) -> Response:
        data = PromoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = model_version_promote(version=_version(version_id), user=request.user, **data.validated_data)
        return Response(ModelVersionSerializer(version, context=_version_context()).data)


class ModelCheckpointView(APIView):
    """The version's checkpoint file, as a download."""

    permission_classes = [IsAdminRole]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, version_id: int) -> FileResponse:
        from django.core.files.storage import default_storage

        version = _version(version_id)
        filename = f"{version.version}-{version.sha256[:12]}.pt"
        if version.checkpoint_path:
            handle = open(version.checkpoint_path, "rb")  # noqa: SIM115 - FileResponse closes it
        elif version.storage_name:
            handle = default_storage.open(version.storage_name, "rb")
        else:
            raise Http404("this version has no checkpoint file")
        return FileResponse(handle, as_attachment=True, filename=filename, content_type="application/octet-stream")


class TrainingRunListView(generics.ListAPIView):
    """GET: runs, newest first. POST: start a fine-tuning run (201), 400 when there is nothing new to learn."""

    permission_classes = [IsAdminRole]
    serializer_class = TrainingRunSerializer
    queryset = TrainingRun.objects.select_related("base_model", "snapshot", "started_by").order_by("-created_at", "-id")

    @extend_schema(request=RunConfigSerializer, responses={201: TrainingRunSerializer})
    def post(self, request: Request) -> Response:
        data = RunConfigSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = training_run_start(user=request.user, config=data.config(),
                                 base_model_id=data.validated_data.get("base_model"),
                                 exclude_studies=data.validated_data.get("exclude_studies", []))
        return Response(TrainingRunSerializer(run).data, status=status.HTTP_201_CREATED)


class TrainingRunDefaultsView(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(responses=inline_serializer("TrainingRunDefaults", {
        "epochs": serializers.IntegerField(), "lr": serializers.FloatField(), "size": serializers.IntegerField(),
        "batch_size": serializers.IntegerField(), "replay_ratio": serializers.FloatField(),
    }))
    def get(self, request: Request) -> Response:
        return Response(settings.TRAINING_DEFAULTS)


def _run(run_id: int) -> TrainingRun:
    run = TrainingRun.objects.select_related("base_model", "snapshot", "started_by").filter(pk=run_id).first()
    if run is None:
        raise Http404("no such training run")
    return run


class TrainingRunDetailView(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(responses=TrainingRunSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        return Response(TrainingRunSerializer(_run(run_id)).data)


class TrainingRunCancelView(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(request=None, responses=TrainingRunSerializer)
    def post(self, request: Request, run_id: int) -> Response:
        run = training_run_cancel(run=_run(run_id), user=request.user)
        return Response(TrainingRunSerializer(_run(run.pk)).data)
