from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from partnerhub.accounts.selectors import user_exists
from partnerhub.queue import QueueUnavailable

from . import services
from .access import admin_only, object_or_404
from .forms import AccountFromInvitationForm, InvitationForm
from .models import AuditEntry, Invitation, Membership
from .unscoped import invitation_by_token, memberships_of_user


@login_required
def home(request):
    """Send a person to their program, or let them pick one when they belong to several."""
    memberships = memberships_of_user(request.user)
    if len(memberships) == 1:
        return redirect("portal_home", tenant_slug=memberships[0].tenant.slug)
    return render(request, "tenancy/choose_tenant.html", {"memberships": memberships})


def _partners():
    """The partners an invitation may name: the core knows them only as Membership.partner."""
    return Membership.partner.field.related_model.objects.order_by("name")


@admin_only
def audit_trail(request):
    """Who decided what, newest first: approvals, holds, closed months."""
    entries = AuditEntry.objects.select_related("actor").order_by("-at", "-pk")[:200]
    return render(request, "tenancy/audit_trail.html", {"entries": entries})


@admin_only
def member_list(request):
    context = {
        "memberships": Membership.objects.select_related("user", "partner").order_by(
            "role", "user__email"
        ),
        "invitations": Invitation.objects.filter(accepted_at__isnull=True).select_related(
            "partner"
        ),
        "form": InvitationForm(partners=_partners()),
    }
    return render(request, "tenancy/member_list.html", context)


@admin_only
@require_http_methods(["GET", "POST"])
def member_invite(request):
    form = InvitationForm(request.POST or None, partners=_partners())
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                tenant=request.tenant, invited_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        except QueueUnavailable as unavailable:
            form.add_error(None, str(unavailable))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("member_list", tenant_slug=request.tenant.slug)
    return render(request, "tenancy/member_invite.html", {"form": form})


@admin_only
def invitation_revoke(request, invitation_pk: int):
    invitation = object_or_404(Invitation.objects.all(), invitation_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.invitation_revoke(invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("member_list", tenant_slug=request.tenant.slug)


@admin_only
def member_remove(request, membership_pk: int):
    membership = object_or_404(Membership.objects.select_related("user"), membership_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.membership_remove(membership=membership, removed_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user.email} no longer has access.")
    return redirect("member_list", tenant_slug=request.tenant.slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    invitation = invitation_by_token(token)
    if invitation is None:
        raise Http404("This invitation link is not valid.")
    problem = None
    if invitation.accepted_at is not None:
        problem = "This invitation has already been used."
    elif invitation.is_expired:
        problem = "This invitation has expired. Ask the program's admin for a new one."
    if problem:
        return render(request, "tenancy/invitation_unusable.html", {"problem": problem}, status=410)

    if request.user.is_authenticated:
        if request.method == "POST":
            return _accept(request, invitation, user=request.user)
        return render(request, "tenancy/invitation_accept.html", {"invitation": invitation})

    if user_exists(email=invitation.email):
        messages.info(request, f"Sign in as {invitation.email} to accept the invitation.")
        return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")

    form = AccountFromInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        return _accept(
            request,
            invitation,
            password=form.cleaned_data["password1"],
            full_name=form.cleaned_data["full_name"],
        )
    return render(
        request, "tenancy/invitation_accept.html", {"invitation": invitation, "form": form}
    )


def _accept(request, invitation, *, user=None, password=None, full_name=""):
    try:
        membership = services.invitation_accept(
            invitation=invitation, user=user, password=password, full_name=full_name
        )
    except services.InvitationUnusable as error:
        return render(
            request, "tenancy/invitation_unusable.html", {"problem": str(error)}, status=410
        )
    if user is None:
        login(
            request, membership.user, backend="allauth.account.auth_backends.AuthenticationBackend"
        )
    messages.success(request, f"Welcome to {invitation.tenant.name}.")
    return redirect("portal_home", tenant_slug=invitation.tenant.slug)
