from django.urls import path

from webapp.transfers import api

urlpatterns = [
    path("studies/<int:study_id>/uploads/", api.StudyUploadsView.as_view(), name="study-uploads"),
    path("uploads/<int:upload_id>/", api.UploadDetailView.as_view(), name="upload-detail"),
    path("uploads/<int:upload_id>/parts/<int:number>/", api.UploadPartView.as_view(), name="upload-part"),
    path("uploads/<int:upload_id>/complete/", api.UploadCompleteView.as_view(), name="upload-complete"),
]
