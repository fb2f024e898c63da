from django.urls import path

from webapp.annotations import api

urlpatterns = [
    path("events/<int:event_id>/verdicts/", api.EventVerdictsView.as_view(), name="event-verdicts"),
    path("review-queue/", api.ReviewQueueView.as_view(), name="review-queue"),
    path("correction-queue/", api.CorrectionQueueView.as_view(), name="correction-queue"),
    path("videos/<int:video_id>/frames/<int:index>/mask/", api.MaskStateView.as_view(), name="frame-mask-state"),
    path("videos/<int:video_id>/frames/<int:index>/revisions/", api.RevisionsView.as_view(), name="frame-revisions"),
    path("videos/<int:video_id>/frames/<int:index>/propagate/", api.PropagateView.as_view(), name="frame-propagate"),
    path("videos/<int:video_id>/proposals/", api.ProposalsView.as_view(), name="video-proposals"),
    path("videos/<int:video_id>/proposals/accept/", api.AcceptProposalsView.as_view(), name="video-proposals-accept"),
    path("propagations/<int:propagation_id>/", api.PropagationView.as_view(), name="propagation"),
    path("images/<int:image_id>/mask/", api.MaskStateView.as_view(), name="image-mask-state"),
    path("images/<int:image_id>/revisions/", api.RevisionsView.as_view(), name="image-revisions"),
    path("studies/<int:study_id>/export/", api.StudyExportView.as_view(), name="study-export"),
]
