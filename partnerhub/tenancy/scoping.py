from collections.abc import Iterable, Iterator

from django.utils import timezone
from django_scopes import scope

from .models import Tenant


def iterate_in_tenant(tenant: Tenant, items: Iterable) -> Iterator:
    """Iterate inside the tenant's scope and time zone.

    A streaming response is consumed after the view (and the middleware's scope) has returned;
    its generator must bring the scope along.
    """
    with scope(tenant=tenant), timezone.override(tenant.zone):
        yield from items
