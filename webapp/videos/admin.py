from django.contrib import admin

from webapp.audit.admin_mixins import AuditedModelAdmin
from webapp.videos.models import PolypEvent, Video, VideoRange


class VideoRangeInline(admin.TabularInline):
    """A video's frame ranges, for people: who holds which, how far it got, how often it was claimed. Read-only: the
    workers' leases are written by webapp/videos/leases.py alone."""

    model = VideoRange
    extra = 0
    can_delete = False
    fields = readonly_fields = ("start", "end", "status", "frames_done", "processing_fps", "lease_holder",
                                "heartbeat_at", "attempts", "started_at", "finished_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Video)
class VideoAdmin(AuditedModelAdmin):
    list_display = ("id", "original_name", "study", "status", "frames_done", "frame_count", "created_at")
    list_filter = ("status",)
    inlines = (VideoRangeInline,)


admin.site.register(PolypEvent, AuditedModelAdmin)
