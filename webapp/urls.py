"""HTTP routes: the admin, the API and its OpenAPI schema."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from webapp.accounts.api import TokenLoginView
from webapp.audit.api import AuditEntryListView

urlpatterns = [
    # Until the review UI lands, the root opens the admin (login first), where studies and videos live.
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/auth/token/", TokenLoginView.as_view(), name="auth-token"),
    path("api/audit/", AuditEntryListView.as_view(), name="audit-list"),
    path("api/", include("webapp.studies.urls")),
    path("api/", include("webapp.videos.urls")),
]
