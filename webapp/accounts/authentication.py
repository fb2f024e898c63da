"""API tokens that expire: TOKEN_TTL_HOURS after they were issued (POST /api/auth/token/ issues a fresh one
once the old one has expired)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_expires_at(token: Token) -> dt.datetime:
    return token.created + dt.timedelta(hours=settings.TOKEN_TTL_HOURS)


def token_expired(token: Token) -> bool:
    return timezone.now() >= token_expires_at(token)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's TokenAuthentication, plus: a token older than TOKEN_TTL_HOURS is refused (401, says so)."""

    def authenticate_credentials(self, key: str):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(
                f"the token expired at {token_expires_at(token):%Y-%m-%d %H:%M:%S} UTC (tokens last "
                f"{settings.TOKEN_TTL_HOURS} h); log in again: POST /api/auth/token/")
        return user, token
