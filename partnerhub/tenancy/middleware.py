from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils import timezone
from django_scopes import scope

from .models import Membership, Tenant

TENANT_URL_KWARG = "tenant_slug"


class TenantMiddleware:
    """Resolves the tenant of `/o/<tenant_slug>/...` once per request.

    The user must hold a membership in that tenant; an unknown slug and a tenant the user does
    not belong to both answer 404, so nothing tells them apart. The view and its template
    rendering run inside the tenant's scope and time zone, and views read `request.tenant` and
    `request.membership` instead of the slug.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        try:
            slug = resolve(request.path_info).kwargs.get(TENANT_URL_KWARG)
        except Resolver404:
            slug = None
        if slug is None:
            return self.get_response(request)

        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise Http404("No such partner program.")
        with scope(tenant=tenant):
            membership = (
                Membership.objects.select_related("partner").filter(user=request.user).first()
            )
            if membership is None:
                raise Http404("No such partner program.")
            request.tenant = tenant
            request.membership = membership
            with timezone.override(tenant.zone):
                return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_kwargs.pop(TENANT_URL_KWARG, None)
