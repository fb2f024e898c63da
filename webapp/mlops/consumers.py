"""/ws/training-runs/{id}/: a fine-tuning run's progress (admins). Authenticate, join the group, forward."""

from __future__ import annotations

from webapp.mlops.models import TrainingRun
from webapp.mlops.runs import run_group
from webapp.realtime import GroupForwardConsumer


class TrainingRunConsumer(GroupForwardConsumer):
    url_kwarg = "run_id"

    def allowed(self, user) -> bool:
        return user.is_admin

    def visible(self, user, object_id: int) -> bool:
        return TrainingRun.objects.filter(pk=object_id).exists()

    def group_name(self, object_id: int) -> str:
        return run_group(object_id)
