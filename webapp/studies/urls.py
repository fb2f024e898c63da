from django.urls import path

from webapp.studies.api import (
    ImageFileView,
    StudyDetailView,
    StudyImagesView,
    StudyImportView,
    StudyListCreateView,
    StudyMembersView,
    StudyReportView,
)

urlpatterns = [
    path("studies/", StudyListCreateView.as_view(), name="study-list"),
    path("studies/import/", StudyImportView.as_view(), name="study-import"),
    path("studies/<int:study_id>/", StudyDetailView.as_view(), name="study-detail"),
    path("studies/<int:study_id>/members/", StudyMembersView.as_view(), name="study-members"),
    path("studies/<int:study_id>/images/", StudyImagesView.as_view(), name="study-images"),
    path("studies/<int:study_id>/report/", StudyReportView.as_view(), name="study-report"),
    path("images/<int:image_id>/image.png", ImageFileView.as_view(), name="image-file"),
]
