"""A manager's pages on a tablet (768 px): nothing scrolls the page sideways."""

import pytest
from playwright.sync_api import expect

from ..factories import PASSWORD

pytestmark = pytest.mark.browser


def test_no_manager_page_scrolls_sideways_on_a_tablet(gold_partner, page, live_server, sign_in):
    acme, last_quarter = gold_partner
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in("manager@acme.test", PASSWORD)
    for path in (
        "/o/acme/",
        "/o/acme/partners/",
        f"/o/acme/partners/{acme.partner.pk}/",
        "/o/acme/tiers/",
        "/o/acme/metrics/",
        "/o/acme/training/",
        f"/o/acme/rebates/?quarter={last_quarter}",
        "/o/acme/funds/",
        "/o/acme/funds/report/",
    ):
        assert page.goto(live_server.url + path).ok, path
        expect(page.locator("main")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls {overflow} px sideways at 768 px"
