"""/ws/videos/{id}/: progress and events of one video. Authenticate, join the group, forward; nothing else."""

from __future__ import annotations

from django.http import Http404

from webapp.accounts.models import Role
from webapp.realtime import CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED, GroupForwardConsumer
from webapp.videos.progress import video_group
from webapp.videos.selectors import video_get_visible

__all__ = ["CLOSE_NOT_FOUND", "CLOSE_UNAUTHENTICATED", "VideoProgressConsumer"]


class VideoProgressConsumer(GroupForwardConsumer):
    url_kwarg = "video_id"

    def allowed(self, user) -> bool:
        return user.has_role(Role.GASTROENTEROLOGIST, Role.ANNOTATOR)

    def visible(self, user, object_id: int) -> bool:
        try:
            video_get_visible(user=user, video_id=object_id)
        except Http404:
            return False
        return True

    def group_name(self, object_id: int) -> str:
        return video_group(object_id)
