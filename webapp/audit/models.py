"""Append-only audit log: who did what to which object, and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    LOGIN = "login", "Login"
    LOGIN_FAILED = "login_failed", "Failed login"
    STUDY_CREATE = "study_create", "Study created"
    STUDY_STATUS = "study_status", "Study status changed"
    VIDEO_UPLOAD = "video_upload", "Video uploaded"
    VIDEO_CANCEL = "video_cancel", "Video processing cancelled"
    VIDEO_DELETE = "video_delete", "Video deleted"
    VIDEO_REPROCESS = "video_reprocess", "Video reprocessed with the active model"
    VERDICT = "verdict", "Verdict on an event"
    MASK_CORRECT = "mask_correct", "Mask corrected"
    MASK_PROPAGATE = "mask_propagate", "Mask propagated to neighbouring frames"
    PROPOSALS_ACCEPT = "proposals_accept", "Propagated masks accepted"
    STUDY_MEMBERS = "study_members", "Study members assigned"
    IMAGE_UPLOAD = "image_upload", "Still images added to a study"
    VIDEO_RESUME = "video_resume", "Cancelled video resumed"
    EXPORT = "export", "Export"
    SNAPSHOT_CREATE = "snapshot_create", "Dataset snapshot created"
    TRAINING_START = "training_start", "Fine-tuning run started"
    TRAINING_CANCEL = "training_cancel", "Fine-tuning run cancelled"
    MODEL_PROMOTE = "model_promote", "Model version promoted"
    ADMIN_CHANGE = "admin_change", "Changed in the Django admin"
    USER_CREATE = "user_create", "User created"
    USER_ROLE = "user_role", "User's role changed"
    USER_DEACTIVATE = "user_deactivate", "User deactivated"
    USER_REACTIVATE = "user_reactivate", "User reactivated"
    USER_PASSWORD = "user_password", "User's password set"
    USER_INVITE = "user_invite", "Set-password link made for a user"
    UPLOAD_START = "upload_start", "Resumable video upload started"
    UPLOAD_COMPLETE = "upload_complete", "Resumable video upload completed"
    UPLOAD_ABORT = "upload_abort", "Resumable video upload aborted or expired"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the audit log is append-only")

    def delete(self):
        raise PermissionError("the audit log is append-only")


class AuditEntry(models.Model):
    # The actor's name is copied so that the entry still says who it was after the user is deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(max_length=64, blank=True)  # "<app>.<model>"
    target_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # The audit page filters by person and by object; the log only grows.
        indexes = [
            models.Index(fields=["actor_username", "at"], name="audit_actor_at"),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ]

    def save(self, *args, **kwargs):
        # An invariant of the table, not business logic: rows are written once. (Deleting a user still
        # works: Django's collector sets actor to NULL through the base manager, not through this class.)
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")

    def __str__(self) -> str:
        who = self.actor_username or "-"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.target_type}:{self.target_id}"
