"""Logins: POST /api/auth/token/ (API clients: a DRF token), /api/auth/session/ (the browser); GET /api/users/."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
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

from webapp.accounts.models import Role
from webapp.accounts.selectors import user_list
from webapp.audit.models import Action
from webapp.audit.services import audit_record


class TokenLoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

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
        audit_record(actor=user, action=Action.LOGIN, target=user, detail={"via": "token"})
        return Response({"token": token.key, "role": user.role or ("admin" if user.is_superuser else "")})


class SessionUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.SerializerMethodField()

    def get_role(self, user) -> str:
        return user.role or ("admin" if user.is_superuser else "")


class SessionLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)


@method_decorator(ensure_csrf_cookie, name="dispatch")
class SessionView(APIView):
    """The browser's login: GET who is logged in (401 when nobody), POST log in, DELETE log out.

    Every answer sets the `csrftoken` cookie, which the browser echoes in X-CSRFToken on writes.
    Logins and failed logins are audited by the auth signals (webapp.accounts.signals).
    """

    permission_classes = [AllowAny]
    authentication_classes = [SessionAuthentication]

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
    """Users by role (for the reviewer filter): id, username and role only."""

    serializer_class = SessionUserSerializer
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("role", str, enum=Role.values)])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return user_list(role=self.request.query_params.get("role") or None)
