"""The staff home in Chromium: what needs the admin today, one click from where it is done."""

import pytest
from playwright.sync_api import expect

from ..factories import PASSWORD
from ..tiers.conftest import load

pytestmark = pytest.mark.browser


def test_the_admin_home_leads_to_where_things_are_done(acme, page, live_server, sign_in):
    load(acme)
    sign_in("admin@acme.test", PASSWORD)
    expect(page.get_by_role("heading", name="Partners per tier")).to_be_visible()
    expect(page.get_by_role("img", name="Partners moving up and down per month")).to_be_visible()
    page.locator("#funds-waiting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Funds to decide")
