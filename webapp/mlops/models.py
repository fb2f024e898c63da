"""Model versions: every mask traces back to the exact checkpoint file (path + sha256) and its config."""

from __future__ import annotations

from django.db import models


class ModelVersion(models.Model):
    version = models.CharField(max_length=128)  # the checkpoint's own version string
    checkpoint_path = models.CharField(max_length=1024)
    sha256 = models.CharField(max_length=64, unique=True)
    config = models.JSONField(default=dict)  # model_config, train_config, input_size from the checkpoint
    metrics = models.JSONField(default=dict)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one active version: workers must agree on which model runs.
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.sha256[:12]})"
