from django.urls import path

from webapp.mlops import api

urlpatterns = [
    path("models/", api.ModelVersionListView.as_view(), name="model-list"),
    path("models/<int:version_id>/promote/", api.ModelPromoteView.as_view(), name="model-promote"),
    path("models/<int:version_id>/checkpoint/", api.ModelCheckpointView.as_view(), name="model-checkpoint"),
    path("training-runs/", api.TrainingRunListView.as_view(), name="training-run-list"),
    path("training-runs/defaults/", api.TrainingRunDefaultsView.as_view(), name="training-run-defaults"),
    path("training-runs/<int:run_id>/", api.TrainingRunDetailView.as_view(), name="training-run-detail"),
    path("training-runs/<int:run_id>/cancel/", api.TrainingRunCancelView.as_view(), name="training-run-cancel"),
]
