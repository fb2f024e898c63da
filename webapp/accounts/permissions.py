"""Role checks for every endpoint. Unauthenticated users and users without a role get nothing; a user
without a role is told why (the refusal names the missing role, not just "permission denied")."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from webapp.accounts.models import Role

NO_ROLE = "your account has no role yet: ask an admin to give you one"


def _has(request, *roles: str) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and user.has_role(*roles))


def _roleless(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and not user.role and not user.is_superuser)


class _RolePermission(BasePermission):
    def allowed(self, request) -> bool:
        raise NotImplementedError

    def has_permission(self, request, view) -> bool:
        if self.allowed(request):
            return True
        if _roleless(request.user):
            self.message = NO_ROLE  # an instance per request: DRF builds the permissions anew each time
        return False


class HasAnyRole(_RolePermission):
    """The default: any of the three roles may read; views narrow writes further."""

    def allowed(self, request) -> bool:
        return _has(request, Role.GASTROENTEROLOGIST, Role.ANNOTATOR, Role.ADMIN)


class _AnyRoleReads(_RolePermission):
    """Any role reads; `writers` (admins always count) write."""

    writers: tuple[str, ...] = ()

    def allowed(self, request) -> bool:
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


class IsAdminRole(_RolePermission):
    def allowed(self, request) -> bool:
        return _has(request, Role.ADMIN)
