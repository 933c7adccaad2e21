from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Role


def role_required(*roles: Role):
    """Let the view run only for members holding one of `roles` in the request's tenant."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.membership is None or request.membership.role not in roles:
                raise PermissionDenied("Your role in this program does not include this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_only = role_required(Role.ADMIN, Role.MANAGER)
admin_only = role_required(Role.ADMIN)


def object_or_404(queryset, pk):
    """The object with `pk` in `queryset` (already scoped to the tenant), or 404.

    Views look their object up before anything else, so another tenant's id answers 404
    whatever the method."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404("Not found.")
    return found
