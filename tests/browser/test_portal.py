"""A partner user and a partner manager use the portal in real Chromium."""

import re

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from ..factories import PASSWORD, PartnerFactory

pytestmark = pytest.mark.browser


def test_a_partner_user_lands_on_their_portal_and_sees_only_their_partner(
    acme, globex, page, live_server, sign_in
):
    sign_in("partner@acme.test", PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/o/acme/")
    expect(page.get_by_role("heading", level=1)).to_have_text(acme.partner.name)
    expect(page.get_by_text("manager@acme.test")).to_be_visible()
    body = page.content()
    assert acme.other_partner.name not in body
    assert globex.partner.name not in body
    expect(page.get_by_role("link", name="Partners", exact=True)).to_have_count(0)

    page.goto(f"{live_server.url}/o/acme/partners/{acme.other_partner.pk}/")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_a_manager_searches_and_sorts_the_partner_list_in_place(acme, page, live_server, sign_in):
    with scope(tenant=acme.tenant):
        for n in range(30):
            PartnerFactory(tenant=acme.tenant, ref=f"Z-{n:02d}", name=f"Zephyr {n:02d}")
    sign_in("manager@acme.test", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Partners").click()
    # The click returns once the navigation starts; htmx (a deferred script) binds the search box
    # only when the page has loaded, and a letter typed before that would send no request.
    page.wait_for_url(re.compile(r"/o/acme/partners/$"))
    expect(page.locator("#partner-count")).to_have_text("33 partners")

    page.evaluate("window.loadedOnce = true")  # gone if the page reloads
    page.get_by_label("Search").fill("zephyr 1")
    expect(page.locator("#partner-count")).to_have_text("10 partners")
    expect(page).to_have_url(re.compile(r"/o/acme/partners/\?.*q=zephyr(\+|%20)1"))

    page.get_by_role("link", name="Name").click()
    page.get_by_role("link", name="Name ▲").click()
    expect(page.locator("tbody tr").first).to_contain_text("Zephyr 19")
    expect(page).to_have_url(re.compile(r"sort=-name"))
    assert page.evaluate("window.loadedOnce") is True, "filters and sorting update in place"

    page.reload()
    expect(page.locator("#partner-count")).to_have_text("10 partners")
    expect(page.locator("tbody tr").first).to_contain_text("Zephyr 19")

    page.get_by_label("Search").fill("zephyr")
    expect(page.locator("#partner-count")).to_have_text("30 partners")
    expect(page.locator("tbody tr").first).to_contain_text("Zephyr 29"), "the sort is kept"
