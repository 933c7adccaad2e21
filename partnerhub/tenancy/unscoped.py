"""The only reads that look across tenants. Each is keyed by something that is not a tenant
(a person, a secret token), so it cannot leak one tenant's rows into another's pages."""

from django_scopes import scopes_disabled

from .models import Invitation, Membership


def memberships_of_user(user) -> list[Membership]:
    with scopes_disabled():
        return list(
            Membership.objects.filter(user=user)
            .select_related("tenant", "partner")
            .order_by("tenant__name")
        )


def invitation_by_token(token: str) -> Invitation | None:
    with scopes_disabled():
        return (
            Invitation.objects.filter(token=token)
            .select_related("tenant", "partner", "invited_by")
            .first()
        )


def tenant_ids() -> list[int]:
    """For periodic work that fans out one task per tenant."""
    from .models import Tenant

    return list(Tenant.objects.order_by("pk").values_list("pk", flat=True))
