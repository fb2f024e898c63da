"""Websocket routes."""

from django.urls import path

from webapp.videos.consumers import VideoProgressConsumer

websocket_urlpatterns = [
    path("ws/videos/<int:video_id>/", VideoProgressConsumer.as_asgi()),
]
