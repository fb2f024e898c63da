from django.urls import path

from webapp.videos import api

urlpatterns = [
    path("studies/<int:study_id>/videos/", api.StudyVideosView.as_view(), name="study-videos"),
    path("videos/<int:video_id>/", api.VideoDetailView.as_view(), name="video-detail"),
    path("videos/<int:video_id>/timeline/", api.VideoTimelineView.as_view(), name="video-timeline"),
    path("videos/<int:video_id>/events/", api.VideoEventsView.as_view(), name="video-events"),
    path("videos/<int:video_id>/cancel/", api.VideoCancelView.as_view(), name="video-cancel"),
    path("videos/<int:video_id>/resume/", api.VideoResumeView.as_view(), name="video-resume"),
    path("videos/<int:video_id>/reprocess/", api.VideoReprocessView.as_view(), name="video-reprocess"),
    path("videos/<int:video_id>/frames/<int:index>/image.png", api.FrameImageView.as_view(), name="frame-image"),
    path("videos/<int:video_id>/file/", api.VideoFileView.as_view(), name="video-file"),
    path("videos/<int:video_id>/masks/", api.VideoMasksView.as_view(), name="video-masks"),
    path("videos/<int:video_id>/frames/<int:index>/image.jpg", api.FrameJpegView.as_view(), name="frame-jpeg"),
    path("videos/<int:video_id>/frames/<int:index>/mask.png", api.FrameMaskView.as_view(), name="frame-mask"),
]
