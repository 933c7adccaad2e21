from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from partnerhub.accounts.services import user_get_or_create
from partnerhub.queue import enqueue_on_commit

from .models import Invitation, Membership, Role, Tenant


def tenant_create(*, slug: str, name: str, time_zone: str = "UTC", currency: str = "EUR") -> Tenant:
    tenant = Tenant(slug=slug, name=name, time_zone=time_zone, currency=currency)
    tenant.full_clean()
    tenant.save()
    return tenant


def _check_partner_for_role(*, tenant: Tenant, role: str, partner) -> None:
    if role == Role.PARTNER and partner is None:
        raise ValidationError({"partner": "A partner user must belong to a partner."})
    if role != Role.PARTNER and partner is not None:
        raise ValidationError({"partner": "Only partner users belong to a partner."})
    if partner is not None and partner.tenant_id != tenant.pk:
        raise ValidationError({"partner": "That partner is not in this program."})


@dataclass(frozen=True)
class MembershipResult:
    membership: Membership
    user_created: bool
    membership_created: bool
    membership_changed: bool


@transaction.atomic
def membership_add(
    *,
    tenant: Tenant,
    email: str,
    role: str,
    partner=None,
    password: str | None = None,
    full_name: str = "",
) -> MembershipResult:
    """Give a person a role in a tenant, creating the person if needed.

    Idempotent: asking again for what already holds writes nothing.
    """
    _check_partner_for_role(tenant=tenant, role=role, partner=partner)
    user, user_created = user_get_or_create(email=email, password=password, full_name=full_name)
    with scope(tenant=tenant):
        membership = Membership.objects.filter(user=user).first()
        if membership is None:
            membership = Membership.objects.create(
                tenant=tenant, user=user, role=role, partner=partner
            )
            return MembershipResult(membership, user_created, True, False)
        changed = membership.role != role or membership.partner_id != (partner and partner.pk)
        if changed:
            membership.role = role
            membership.partner = partner
            membership.save(update_fields=["role", "partner"])
        return MembershipResult(membership, user_created, False, changed)


def membership_remove(*, membership: Membership, removed_by) -> None:
    if membership.user_id == removed_by.pk:
        raise ValidationError("You cannot remove your own membership.")
    membership.delete()


@transaction.atomic
def invitation_create(
    *, tenant: Tenant, email: str, role: str, partner=None, invited_by
) -> Invitation:
    from .tasks import send_invitation_email

    _check_partner_for_role(tenant=tenant, role=role, partner=partner)
    email = email.strip().lower()
    with scope(tenant=tenant):
        if Membership.objects.filter(user__email__iexact=email).exists():
            raise ValidationError({"email": f"{email} is already a member of this program."})
        invitation = Invitation.objects.create(
            tenant=tenant,
            email=email,
            role=role,
            partner=partner,
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
    # Refused whole when the queue is down: an invitation nobody is told about helps no one.
    enqueue_on_commit(
        send_invitation_email,
        undo=lambda: Invitation.objects.filter(pk=invitation.pk).delete(),
        tenant_id=tenant.pk,
        invitation_id=invitation.pk,
    )
    return invitation


def invitation_send_email(*, invitation: Invitation) -> None:
    base_url = settings.PUBLIC_BASE_URL.rstrip("/")
    context = {
        "invitation": invitation,
        "accept_url": base_url + reverse("invitation_accept", args=[invitation.token]),
    }
    send_mail(
        subject=f"You are invited to {invitation.tenant.name} on PartnerHub",
        message=render_to_string("tenancy/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def invitation_revoke(*, invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been accepted.")
    invitation.delete()


class InvitationUnusable(Exception):
    pass


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user=None, password: str | None = None, full_name: str = ""
) -> Membership:
    """Turn an invitation into a membership.

    `user` is the signed-in person accepting it (their e-mail must match); without one, a new
    account is created with `password`, its address verified by the invitation link itself.
    """
    if invitation.accepted_at is not None:
        raise InvitationUnusable("This invitation has already been used.")
    if invitation.is_expired:
        raise InvitationUnusable(
            "This invitation has expired. Ask the program's admin for a new one."
        )
    if user is not None and user.email.lower() != invitation.email.lower():
        raise InvitationUnusable(
            f"This invitation is for {invitation.email}; you are signed in as {user.email}."
        )
    result = membership_add(
        tenant=invitation.tenant,
        email=invitation.email,
        role=invitation.role,
        partner=invitation.partner,
        password=password if user is None else None,
        full_name=full_name,
    )
    # Compare-and-swap: of two clicks on the same link, only one accepts; the other rolls back.
    updated = (
        Invitation.objects.with_scopes_disabled()
        .filter(pk=invitation.pk, accepted_at__isnull=True)
        .update(accepted_at=timezone.now(), accepted_by=result.membership.user)
    )
    if not updated:
        raise InvitationUnusable("This invitation has already been used.")
    return result.membership


def audit_record(*, tenant_id: int, actor, action: str, subject: str, **detail) -> None:
    """One line of the audit trail; detail values must be JSON (dates as ISO text)."""
    from .models import AuditEntry

    AuditEntry.objects.create(
        tenant_id=tenant_id, actor=actor, action=action, subject=subject[:300], detail=detail
    )
