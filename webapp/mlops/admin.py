from django.contrib import admin

from webapp.audit.admin_mixins import AuditedModelAdmin
from webapp.mlops.models import ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(AuditedModelAdmin):
    list_display = ("version", "sha256", "is_active", "created_at")
