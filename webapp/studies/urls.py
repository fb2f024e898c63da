from django.urls import path

from webapp.studies.api import StudyDetailView, StudyListCreateView

urlpatterns = [
    path("studies/", StudyListCreateView.as_view(), name="study-list"),
    path("studies/<int:study_id>/", StudyDetailView.as_view(), name="study-detail"),
]
