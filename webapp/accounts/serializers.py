"""The shapes of users in the API: what anyone, the logged-in user and admins see; what admins send."""

from __future__ import annotations

from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers

from webapp.accounts.models import Role
from webapp.accounts.selectors import user_admin_usernames


def role_of(user) -> str:
    """The role as the API names it: superusers count as admins; an empty string is no role yet."""
    return user.role or ("admin" if user.is_superuser else "")


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.SerializerMethodField()

    def get_role(self, user) -> str:
        return role_of(user)


class SessionUserSerializer(UserSerializer):
    # Only for a user without a role (who can open no page yet): the admins to ask, by username.
    admins = serializers.ListField(child=serializers.CharField(), required=False)

    def to_representation(self, user) -> dict:
        data = super().to_representation(user)
        if not data["role"]:
            data["admins"] = user_admin_usernames()
        return data


class AdminUserSerializer(UserSerializer):
    """What an admin sees of a user (the Users page)."""

    is_active = serializers.BooleanField()
    is_superuser = serializers.BooleanField()
    last_login = serializers.DateTimeField(allow_null=True)
    date_joined = serializers.DateTimeField()


_ROLES = ", ".join(Role.values)
_ROLE_REQUIRED = f"a role is required (one of {_ROLES})"
_NOT_A_ROLE = "\"{input}\" is not a role (one of " + _ROLES + ")"


class UserCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    # Left out: no password yet; the answer carries a one-time set-password link for the new user.
    password = serializers.CharField(max_length=1024, trim_whitespace=False, required=False)
    role = serializers.ChoiceField(choices=Role.values, allow_blank=True, error_messages={
        "required": _ROLE_REQUIRED, "null": _ROLE_REQUIRED, "invalid_choice": _NOT_A_ROLE})
    email = serializers.EmailField(required=False, allow_blank=True, default="")

    def validate_role(self, value: str) -> str:
        if not value:  # "" would be "no role": a user who can open nothing
            raise serializers.ValidationError(_ROLE_REQUIRED)
        return value


class UserChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.values, required=False, error_messages={
        "invalid_choice": _NOT_A_ROLE})
    is_active = serializers.BooleanField(required=False)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, required=False)

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("nothing to change: send role, is_active and/or password")
        return attrs


class SessionLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)


class InviteSerializer(serializers.Serializer):
    path = serializers.CharField()
    url = serializers.CharField()
    expires_at = serializers.DateTimeField()


class InviteQuerySerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)


class InviteAcceptSerializer(InviteQuerySerializer):
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
