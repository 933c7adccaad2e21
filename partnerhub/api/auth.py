"""Authentication, permission and rate limits for the API: an API key, its scope, its limit."""

from django.conf import settings
from rest_framework import exceptions, permissions, throttling
from rest_framework.authentication import BaseAuthentication

from .models import ApiKey


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`, resolved by ApiKeyMiddleware. The request's user stays
    anonymous: a key acts for its tenant, not for a person."""

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        if settings.API_HTTPS_ONLY and not request.is_secure():
            raise exceptions.AuthenticationFailed(
                "API keys are accepted over HTTPS only: this key was sent in clear, revoke it."
            )
        api_key = getattr(request._request, "api_key", None)
        if api_key is None:
            raise exceptions.AuthenticationFailed("The API key is unknown or revoked.")
        return (None, api_key)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class HasApiKeyScope(permissions.BasePermission):
    """Any live key reads; writing needs the write scope."""

    message = "This key can only read: writing needs a key with the write scope."

    def has_permission(self, request, view):
        if not isinstance(request.auth, ApiKey):
            raise exceptions.NotAuthenticated(
                "Send an API key: Authorization: Bearer <key> (admins make them in the browser "
                "under API keys, or with create_api_key)."
            )
        return request.method in permissions.SAFE_METHODS or request.auth.can_write


class PerKeyThrottle(throttling.SimpleRateThrottle):
    """API_RATE_LIMIT calls per key (default 600 a minute); 429 with Retry-After beyond it."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
