"""Every page a partner user sees fits a 390 px phone: no horizontal scroll of the page (wide
tables scroll inside their own box)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ..factories import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_no_partner_page_scrolls_sideways_on_a_phone(gold_partner, page, live_server, sign_in):
    from django_scopes import scope

    from incentives.fund_services import fund_request_submit

    acme, _ = gold_partner
    today = acme.tenant.local_today()
    with scope(tenant=acme.tenant):
        request = fund_request_submit(
            membership=acme.partner_user,
            title="A regional partner summit with a rather long title",
            activity_type="event",
            starts_on=today,
            ends_on=today,
            amount=Decimal("2500.00"),
            description="Two days, three tracks.",
        )
    page.set_viewport_size(PHONE)
    sign_in("partner@acme.test", PASSWORD)
    partner = acme.partner.pk
    for path in (
        f"/o/acme/funds/requests/{request.pk}/",
        f"/o/acme/partners/{partner}/funds/request/",
        "/o/acme/",
        f"/o/acme/partners/{partner}/scorecard/",
        "/o/acme/training/",
        f"/o/acme/partners/{partner}/rebates/",
        f"/o/acme/partners/{partner}/funds/",
        "/o/acme/notices/",
        "/accounts/2fa/",
    ):
        assert page.goto(live_server.url + path).ok, path
        expect(page.locator("main")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls {overflow} px sideways at 390 px"
