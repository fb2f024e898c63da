"""HTTP routes: the review UI, the admin, the API and its OpenAPI schema."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from webapp.accounts.api import (
    InviteAcceptView,
    SessionView,
    TokenLoginView,
    UserDetailView,
    UserInviteView,
    UserListView,
)
from webapp.accounts.permissions import HasAnyRole
from webapp.audit.api import AuditChoicesView, AuditEntryListView, AuditExportView
from webapp.ops.health import ReadyView, healthz
from webapp.ops.metrics import metrics_view
from webapp.spa import spa_index

urlpatterns = [
    path("", spa_index, name="spa-root"),
    re_path(r"^app(?:/(?P<path>.*))?$", spa_index, name="spa"),
    path("admin/", admin.site.urls),
    # For the orchestrator and Prometheus (webapp/ops/): liveness, readiness, metrics; no login (metrics: a bearer
    # token when METRICS_TOKEN is set). The proxy does not route /metrics from outside (deploy/).
    path("healthz", healthz, name="healthz"),
    path("readyz", ReadyView.as_view(), name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    # The schema describes every endpoint: for people with a role, like the endpoints themselves.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[HasAnyRole]), name="schema"),
    path("api/auth/token/", TokenLoginView.as_view(), name="auth-token"),
    path("api/auth/session/", SessionView.as_view(), name="auth-session"),
    path("api/users/", UserListView.as_view(), name="user-list"),
    path("api/users/<int:user_id>/", UserDetailView.as_view(), name="user-detail"),
    path("api/users/<int:user_id>/invite/", UserInviteView.as_view(), name="user-invite"),
    path("api/auth/invite/", InviteAcceptView.as_view(), name="auth-invite"),
    path("api/audit/", AuditEntryListView.as_view(), name="audit-list"),
    path("api/audit/export/", AuditExportView.as_view(), name="audit-export"),
    path("api/audit/choices/", AuditChoicesView.as_view(), name="audit-choices"),
    path("api/", include("webapp.studies.urls")),
    path("api/", include("webapp.videos.urls")),
    path("api/", include("webapp.annotations.urls")),
    path("api/", include("webapp.mlops.urls")),
    path("api/", include("webapp.transfers.urls")),
]
