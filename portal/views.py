"""Pages that bring every app together: a person's home in a program, and a partner's page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from incentives.fund_selectors import mdf_funds
from incentives.selectors import tiers_worth
from partnerhub.tenancy.access import object_or_404
from partnerhub.tenancy.models import Role
from partners.selectors import partner_counts_by_status, partner_for_member
from portal.selectors import program_health, would_move
from tiers.selectors import NoSuchTrack, notices_of, notices_unread, partner_standing
from tiers.services import notices_mark_read
from training.selectors import partner_certifications


def portal_home(request):
    membership = request.membership
    if membership.is_partner_user:
        partner = partner_for_member(membership=membership, partner_id=membership.partner_id)
        standing = _standing(request, partner)
        worth, next_worth = tiers_worth(standing.tier, standing.next_tier)
        context = {
            "partner": partner,
            "standing": standing,
            "notices": notices_unread(user=request.user),
            "worth": worth,
            "next_worth": next_worth,
            "funds": mdf_funds(partner_id=partner.pk, today=request.tenant.local_today()),
        }
        return render(request, "portal/partner_home.html", context)
    counts = partner_counts_by_status()
    today = request.tenant.local_today()
    manager = membership if membership.role == Role.MANAGER else None
    health = program_health(today=today, currency=request.tenant.currency, manager=manager)
    context = {
        "status_counts": counts,
        "partner_total": sum(counts.values()),
        "notices": notices_unread(user=request.user),
        "health": health,
        "largest_month": max((m.up + m.down for m in health.moves), default=0) or 1,
        "today": today,
    }
    return render(request, "portal/staff_home.html", context)


def partner_detail(request, partner_pk: int):
    """Managers see any partner; a partner user sees its own and gets 404 for any other."""
    partner = partner_for_member(membership=request.membership, partner_id=partner_pk)
    standing = _standing(request, partner)
    worth, next_worth = tiers_worth(standing.tier, standing.next_tier)
    context = {
        "partner": partner,
        "standing": standing,
        "worth": worth,
        "next_worth": next_worth,
        "funds": mdf_funds(partner_id=partner.pk, today=request.tenant.local_today()),
        "certifications": partner_certifications(
            partner=partner, today=request.tenant.local_today()
        ),
    }
    return render(request, "portal/partner_detail.html", context)


def _standing(request, partner):
    """The partner's standing in the program `?program=KEY` names (its first without one)."""
    try:
        return partner_standing(
            partner=partner,
            currency=request.tenant.currency,
            program_key=request.GET.get("program"),
        )
    except NoSuchTrack as error:
        raise Http404(str(error)) from None


NOTICES_PER_PAGE = 50


def notice_list(request):
    """Every notice of the person, newest first, read or not: nothing is cut, only paged."""
    page = Paginator(notices_of(user=request.user), NOTICES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/notices.html", {"page": page})


def notice_open(request, notice_pk: int):
    """Follow a notice to what it is about, marking it read."""
    notice = object_or_404(notices_of(user=request.user), notice_pk)
    notices_mark_read(user=request.user, notice_ids=[notice.pk])
    inbox = reverse("notice_list", kwargs={"tenant_slug": request.tenant.slug})
    safe = url_has_allowed_host_and_scheme(notice.link, allowed_hosts={request.get_host()})
    return redirect(notice.link if notice.link and safe else inbox)


@require_POST
def notices_read_all(request):
    marked = notices_mark_read(user=request.user)
    messages.success(request, f"{marked} notice{pluralize(marked)} marked read.")
    return redirect("notice_list", tenant_slug=request.tenant.slug)


def would_move_panel(request):
    """The staff home's "next run" panel, loaded after the page (a dry run can take seconds)."""
    if not request.membership.works_with_partners:
        raise PermissionDenied
    manager = request.membership if request.membership.role == Role.MANAGER else None
    moves = would_move(today=request.tenant.local_today(), manager=manager)
    return render(
        request, "portal/partials/would_move.html", {"moves": moves[:50], "total": len(moves)}
    )
