"""Websocket routes."""

from django.urls import path

from webapp.mlops.consumers import TrainingRunConsumer
from webapp.videos.consumers import VideoProgressConsumer

websocket_urlpatterns = [
    path("ws/videos/<int:video_id>/", VideoProgressConsumer.as_asgi()),
    path("ws/training-runs/<int:run_id>/", TrainingRunConsumer.as_asgi()),
]
