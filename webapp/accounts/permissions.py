"""Role checks for every endpoint. Unauthenticated users and users without a role get nothing."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from webapp.accounts.models import Role


def _has(request, *roles: str) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and user.has_role(*roles))


class HasAnyRole(BasePermission):
    """The default: any of the three roles may read; views narrow writes further."""

    def has_permission(self, request, view) -> bool:
        return _has(request, Role.GASTROENTEROLOGIST, Role.ANNOTATOR, Role.ADMIN)


class _AnyRoleReads(BasePermission):
    """Any role reads; `writers` (admins always count) write."""

    writers: tuple[str, ...] = ()

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return _has(request, Role.GASTROENTEROLOGIST, Role.ANNOTATOR, Role.ADMIN)
        return _has(request, *self.writers, Role.ADMIN)


class ClinicianWrites(_AnyRoleReads):
    """Any role reads; only gastroenterologists and admins create studies, upload, cancel, give verdicts."""

    writers = (Role.GASTROENTEROLOGIST,)


class AnnotatorWrites(_AnyRoleReads):
    """Any role reads; only annotators and admins save masks."""

    writers = (Role.ANNOTATOR,)


class AdminWrites(_AnyRoleReads):
    """Any role reads; only admins write (deletions)."""


class IsAdminRole(BasePermission):
    def has_permission(self, request, view) -> bool:
        return _has(request, Role.ADMIN)
