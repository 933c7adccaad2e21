"""Pages that bring every app together: a person's home in a program, and a partner's page."""

from django.shortcuts import render

from incentives.fund_selectors import mdf_funds
from incentives.selectors import tiers_worth
from partners.selectors import partner_counts_by_status, partner_for_member
from tiers.selectors import notices_unread, partner_standing
from training.selectors import partner_certifications


def portal_home(request):
    membership = request.membership
    if membership.is_partner_user:
        partner = partner_for_member(membership=membership, partner_id=membership.partner_id)
        standing = partner_standing(partner=partner, currency=request.tenant.currency)
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
    context = {
        "status_counts": counts,
        "partner_total": sum(counts.values()),
        "notices": notices_unread(user=request.user),
    }
    return render(request, "portal/staff_home.html", context)


def partner_detail(request, partner_pk: int):
    """Managers see any partner; a partner user sees its own and gets 404 for any other."""
    partner = partner_for_member(membership=request.membership, partner_id=partner_pk)
    standing = partner_standing(partner=partner, currency=request.tenant.currency)
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
