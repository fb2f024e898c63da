from django.contrib import admin

from webapp.mlops.models import ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "sha256", "is_active", "created_at")
