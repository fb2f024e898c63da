from django.contrib import admin

from webapp.audit.admin_mixins import AuditedModelAdmin
from webapp.videos.models import PolypEvent, Video


@admin.register(Video)
class VideoAdmin(AuditedModelAdmin):
    list_display = ("id", "original_name", "study", "status", "frames_done", "frame_count", "created_at")
    list_filter = ("status",)


admin.site.register(PolypEvent, AuditedModelAdmin)
