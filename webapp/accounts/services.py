"""Writes on users: create, change role, deactivate / reactivate, set a password. Every change is audited.

The rule that keeps the app administrable: at least one active admin (role admin or superuser) remains.
An admin may not deactivate themselves (another admin can), and the last admin may not be demoted or
deactivated. Admin rows are locked first, so two admins demoting each other at once cannot both succeed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from webapp.accounts.models import Role, User
from webapp.audit.models import Action
from webapp.audit.services import audit_record
from webapp.errors import Conflict, DomainError


class PasswordRejected(DomainError):
    code = "password_invalid"


class UsernameTaken(Conflict):
    code = "username_taken"


class LastAdmin(Conflict):
    code = "last_admin"


class SelfDeactivation(Conflict):
    code = "self_deactivation"


class UnknownRole(DomainError):
    code = "role_invalid"


class InviteInvalid(DomainError):
    code = "invite_invalid"


class InactiveUser(Conflict):
    code = "user_inactive"


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise UnknownRole(f"role is required: one of {', '.join(Role.values)} (got {role!r})")


def _check_password(password: str, user: User) -> None:
    """Django's AUTH_PASSWORD_VALIDATORS, their messages joined into one line for the person typing."""
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise PasswordRejected("password: " + " ".join(error.messages)) from None


def _revoke_tokens(user: User) -> None:
    """An API token is a credential like the password: a reset or a deactivation ends it (sessions end by
    themselves: Django checks the password hash and is_active on every request)."""
    Token.objects.filter(user=user).delete()


def _admins_locked() -> list[User]:
    """Active admins (role admin or superuser), locked for the rest of the transaction."""
    return list(User.objects.select_for_update().filter(is_active=True)
                .filter(models.Q(role=Role.ADMIN) | models.Q(is_superuser=True)).order_by("pk"))


@transaction.atomic
def user_create(*, username: str, password: str | None, role: str, email: str = "", actor: User | None = None,
                check_password: bool = True) -> User:
    """A user who can log in at once with the password. password None: no usable password yet (the admin
    hands over a set-password link instead, user_invite_make). 409 when the name is taken (ignoring case:
    "Alice" and "alice" would be two people to the audit log but one to anyone reading it); 400 for an
    unknown role or a password the validators refuse. check_password=False only for the operator's own admin
    (ensure_admin)."""
    _check_role(role)
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken(f"a user named {username!r} exists already")
    user = User(username=username, email=email, role=role, is_staff=role == Role.ADMIN)
    if password is None:
        user.set_unusable_password()
    else:
        if check_password:
            _check_password(password, user)
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # created by someone else between the check and the insert
        raise UsernameTaken(f"a user named {username!r} exists already") from None
    audit_record(actor=actor, action=Action.USER_CREATE, target=user,
                 detail={"username": user.username, "role": role})
    return user


@transaction.atomic
def user_update(*, actor: User, user_id: int, role: str | None = None, is_active: bool | None = None,
                password: str | None = None) -> User:
    """Change one user's role, active flag and/or password (None: leave it). One audit entry per change.

    Demoting from admin also clears is_superuser (a superuser counts as an admin whatever the role, so the
    change would otherwise do nothing) and is_staff (the Django admin)."""
    admins = _admins_locked()
    user = User.objects.select_for_update().get(pk=user_id)
    if role is not None:
        _check_role(role)
    was_admin = user.is_admin
    will_be_admin = (is_active if is_active is not None else user.is_active) and (
        role == Role.ADMIN if role is not None else (user.role == Role.ADMIN or user.is_superuser))
    if is_active is False and user.is_active and user.pk == actor.pk:
        raise SelfDeactivation("you cannot deactivate your own account: ask another admin")
    if was_admin and not will_be_admin and [a.pk for a in admins] == [user.pk]:
        raise LastAdmin(f"{user.username} is the last active admin: make someone else an admin first, "
                        "or nobody could manage users")
    if password is not None:
        _check_password(password, user)

    fields: list[str] = []
    entries: list[tuple[str, dict]] = []
    if role is not None and (role != user.role or (role != Role.ADMIN and user.is_superuser)):
        entries.append((Action.USER_ROLE, {"from": user.role or ("admin" if user.is_superuser else ""),
                                           "to": role}))
        user.role = role
        user.is_staff = role == Role.ADMIN
        fields += ["role", "is_staff"]
        if role != Role.ADMIN and user.is_superuser:
            user.is_superuser = False
            fields.append("is_superuser")
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        fields.append("is_active")
        entries.append((Action.USER_REACTIVATE if is_active else Action.USER_DEACTIVATE, {}))
    if password is not None:
        user.set_password(password)
        fields.append("password")
        entries.append((Action.USER_PASSWORD, {}))
    if fields:
        user.save(update_fields=fields)
    if "password" in fields or (is_active is False and "is_active" in fields):
        _revoke_tokens(user)
    for action, detail in entries:
        audit_record(actor=actor, action=action, target=user, detail={"username": user.username, **detail})
    return user


@dataclass(frozen=True)
class Invite:
    uid: str
    token: str
    expires_at: datetime


@transaction.atomic
def user_invite_make(*, actor: User, user_id: int) -> Invite:
    """A one-time set-password link's parts (Django's password-reset token: it dies once the password is set
    or the user logs in, and after PASSWORD_RESET_TIMEOUT). The link itself is never stored or logged."""
    user = User.objects.get(pk=user_id)
    if not user.is_active:
        raise InactiveUser(f"{user.username} is deactivated: reactivate them first")
    invite = Invite(uid=urlsafe_base64_encode(str(user.pk).encode()), token=default_token_generator.make_token(user),
                    expires_at=timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT))
    audit_record(actor=actor, action=Action.USER_INVITE, target=user,
                 detail={"username": user.username, "expires_at": invite.expires_at.isoformat()})
    return invite


def _invited_user(uid: str, token: str) -> User:
    try:
        user_id = int(urlsafe_base64_decode(uid).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        user_id = None
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None or not default_token_generator.check_token(user, token):
        raise InviteInvalid("this link was used already, has expired or is not complete: ask an admin for a new one")
    return user


@transaction.atomic
def user_invite_accept(*, uid: str, token: str, password: str) -> User:
    """The invited person sets their password through the link (which then stops working)."""
    user = _invited_user(uid, token)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    _revoke_tokens(user)
    audit_record(actor=user, action=Action.USER_PASSWORD, target=user,
                 detail={"username": user.username, "via": "invite"})
    return user


def user_invite_check(*, uid: str, token: str) -> User:
    """Whether a link still works (the set-password page asks before showing its form)."""
    with transaction.atomic():
        return _invited_user(uid, token)


@transaction.atomic
def user_ensure_admin(*, username: str = "admin", password: str = "") -> tuple[User, str | None]:
    """Create the admin user once. Returns (user, the generated password or None when none was made)."""
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, None
    generated = None if password else secrets.token_urlsafe(12)
    # The operator chose POLYPSCOPE_ADMIN_PASSWORD: their call, not the validators'.
    user = user_create(username=username, password=password or generated, role=Role.ADMIN, check_password=False)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user, generated
