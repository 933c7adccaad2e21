from django.utils import timezone
from django_scopes import scope

from .keys import api_key_for

API_PREFIX = "/api/"


class ApiKeyMiddleware:
    """Resolves the API key of a call to `/api/` once: its tenant is the scope (and time zone)
    the whole call runs in, exactly as a page runs in its tenant's. Whether a call without a
    good key may go on is the view's authentication's to say (401 in one problem shape)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.api_key = None
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        kind, _, key = request.headers.get("Authorization", "").partition(" ")
        if kind.lower() == "bearer" and key.strip():
            request.api_key = api_key_for(key.strip())
        if request.api_key is None:
            return self.get_response(request)
        tenant = request.api_key.tenant
        request.tenant = tenant
        with scope(tenant=tenant), timezone.override(tenant.zone):
            return self.get_response(request)
