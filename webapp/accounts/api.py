"""Logins: POST /api/auth/token/ (API clients: a DRF token), /api/auth/session/ (the browser).
Users: GET /api/users/ (any role: the reviewer filter; admins see more), POST /api/users/ and
GET/PATCH /api/users/{id}/ (admins: create, change role, deactivate, set a password), POST
/api/users/{id}/invite/ (admins: a one-time set-password link) and GET/POST /api/auth/invite/ (its page)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.authentication import token_expired
from webapp.accounts.models import Role, User
from webapp.accounts.permissions import AdminWrites, IsAdminRole
from webapp.accounts.selectors import user_get, user_list
from webapp.accounts.serializers import (
    AdminUserSerializer,
    InviteAcceptSerializer,
    InviteQuerySerializer,
    InviteSerializer,
    SessionLoginSerializer,
    SessionUserSerializer,
    UserChangeSerializer,
    UserCreateSerializer,
    UserSerializer,
    role_of,
)
from webapp.accounts.services import (
    Invite,
    user_create,
    user_invite_accept,
    user_invite_check,
    user_invite_make,
    user_update,
)
from webapp.accounts.throttles import LoginRateThrottle
from webapp.audit.models import Action
from webapp.audit.services import audit_record


class TokenLoginView(APIView):
    """POST username and password: the user's API token (a new one once the old one expired: TOKEN_TTL_HOURS).
    429 after LOGIN_THROTTLE_RATE attempts (webapp.accounts.throttles)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        request=AuthTokenSerializer,
        responses=inline_serializer(
            "TokenResponse", {"token": serializers.CharField(), "role": serializers.CharField()}
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        if token_expired(token):  # a fresh token; a parallel login may have made it first
            Token.objects.filter(pk=token.pk).delete()
            token, _ = Token.objects.get_or_create(user=user)
        audit_record(actor=user, action=Action.LOGIN, target=user, detail={"via": "token"})
        return Response({"token": token.key, "role": role_of(user)})


@method_decorator(ensure_csrf_cookie, name="dispatch")
class SessionView(APIView):
    """The browser's login: GET who is logged in (401 when nobody), POST log in, DELETE log out.

    Every answer sets the `csrftoken` cookie, which the browser echoes in X-CSRFToken on writes.
    Logins and failed logins are audited by the auth signals (webapp.accounts.signals).
    """

    permission_classes = [AllowAny]
    authentication_classes = [SessionAuthentication]
    throttle_classes = [LoginRateThrottle]  # POST only: the GET on every page load is not a login

    @extend_schema(responses=SessionUserSerializer)
    def get(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            # 401, not 403: "log in", as opposed to "logged in but not allowed".
            response = Response({"detail": "not logged in", "code": "not_authenticated"},
                                status=status.HTTP_401_UNAUTHORIZED)
            response["WWW-Authenticate"] = 'Session realm="polypscope"'
            return response
        return Response(SessionUserSerializer(request.user).data)

    @extend_schema(request=SessionLoginSerializer, responses=SessionUserSerializer)
    def post(self, request: Request) -> Response:
        data = SessionLoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request._request, **data.validated_data)
        if user is None or not user.is_active:
            return Response({"detail": "wrong username or password", "code": "login_failed"},
                            status=status.HTTP_400_BAD_REQUEST)
        login(request._request, user)
        return Response(SessionUserSerializer(user).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserListView(generics.ListAPIView):
    """GET: users by role (the reviewer filter): id, username, role; admins also see is_active, last_login
    and may ask for deactivated users too (?include_inactive=true). POST (admins): create a user."""

    permission_classes = [AdminWrites]
    pagination_class = None

    def get_serializer_class(self):
        return AdminUserSerializer if getattr(self.request.user, "is_admin", False) else UserSerializer

    @extend_schema(parameters=[OpenApiParameter("role", str, enum=Role.values),
                               OpenApiParameter("include_inactive", bool, description="admins only")])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        is_admin = getattr(self.request.user, "is_admin", False)
        include_inactive = is_admin and params.get("include_inactive") in ("1", "true")
        return user_list(role=params.get("role") or None, include_inactive=include_inactive)

    @extend_schema(request=UserCreateSerializer, responses={201: AdminUserSerializer})
    def post(self, request: Request) -> Response:
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {"password": None, **data.validated_data}
        user = user_create(actor=request.user, **fields)
        body = dict(AdminUserSerializer(user).data)
        if fields["password"] is None:
            body["invite"] = _invite_body(request, user_invite_make(actor=request.user, user_id=user.pk))
        return Response(body, status=status.HTTP_201_CREATED)


class UserDetailView(APIView):
    """GET / PATCH one user (admins): `{role?, is_active?, password?}`."""

    permission_classes = [IsAdminRole]

    def _user(self, user_id: int) -> User:
        user = user_get(user_id=user_id)
        if user is None:
            raise Http404
        return user

    @extend_schema(responses=AdminUserSerializer)
    def get(self, request: Request, user_id: int) -> Response:
        return Response(AdminUserSerializer(self._user(user_id)).data)

    @extend_schema(request=UserChangeSerializer, responses=AdminUserSerializer)
    def patch(self, request: Request, user_id: int) -> Response:
        self._user(user_id)
        data = UserChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_update(actor=request.user, user_id=user_id, **data.validated_data)
        if "password" in data.validated_data and user.pk == request.user.pk:
            update_session_auth_hash(request._request, user)  # an admin's own new password: stay logged in
        return Response(AdminUserSerializer(user).data)


def _invite_body(request: Request, invite: Invite) -> dict:
    path = f"/app/set-password?{urlencode({'uid': invite.uid, 'token': invite.token})}"
    return InviteSerializer({"path": path, "url": request.build_absolute_uri(path),
                             "expires_at": invite.expires_at}).data


class UserInviteView(APIView):
    """POST (admins): a one-time link with which the user sets their own password (a new user created
    without one, or someone who forgot theirs). Their current password keeps working until they use it."""

    permission_classes = [IsAdminRole]

    @extend_schema(request=None, responses={201: InviteSerializer})
    def post(self, request: Request, user_id: int) -> Response:
        if user_get(user_id=user_id) is None:
            raise Http404
        invite = user_invite_make(actor=request.user, user_id=user_id)
        return Response(_invite_body(request, invite), status=status.HTTP_201_CREATED)


class InviteAcceptView(APIView):
    """The set-password page (anyone holding the link): GET whether the link works and for whom,
    POST the new password. 400 `invite_invalid` for a used, expired or mangled link."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(parameters=[InviteQuerySerializer], responses=UserSerializer)
    def get(self, request: Request) -> Response:
        data = InviteQuerySerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        return Response(UserSerializer(user_invite_check(**data.validated_data)).data)

    @extend_schema(request=InviteAcceptSerializer, responses=UserSerializer)
    def post(self, request: Request) -> Response:
        data = InviteAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(UserSerializer(user_invite_accept(**data.validated_data)).data)
