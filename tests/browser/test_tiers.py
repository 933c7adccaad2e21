"""Tiers in real Chromium: a partner user reads tier, benefits and progress; an admin edits a
criterion and reads the what-if numbers before saving."""

import re

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from tiers.models import Program
from tiers.services import placements_recalculate

from ..factories import PASSWORD
from ..tiers.conftest import TODAY, certify, load, set_values

pytestmark = pytest.mark.browser


@pytest.fixture
def placed(acme):
    load(acme)
    set_values(acme, "P-001", "revenue", {"2026-01": "150000", "2026-09": "58000"})
    set_values(acme, "P-002", "revenue", {"2026-01": "120000"})
    certify(acme, "P-001", "ann@p.test")
    with scope(tenant=acme.tenant):
        placements_recalculate(program=Program.objects.get(), as_of=TODAY)
    return acme


def test_a_partner_user_sees_tier_benefits_and_progress(placed, page, sign_in):
    sign_in("partner@acme.test", PASSWORD)
    tier = page.get_by_role("region", name="Current tier")
    expect(tier.locator(".tier-badge")).to_have_text("Silver")
    expect(tier).to_contain_text("Deal registration discount")
    progress = page.get_by_role("region", name="Next tier")
    expect(progress.get_by_role("heading", name="Toward Gold")).to_be_visible()
    expect(progress).to_contain_text("Missing: EUR 42,000 more revenue in the last 12 months")
    expect(progress).to_contain_text("Missing: 1 more Sales Professional")
    expect(
        progress.get_by_role("progressbar", name="Revenue, total over the last 12 months")
    ).to_have_attribute("aria-valuenow", "83")
    expect(progress).to_contain_text("Market development funds")
    expect(page.get_by_role("region", name="Tier history")).to_contain_text("no tier → Silver")


def test_an_admin_builds_a_rule_previews_it_and_saves_it(placed, page, live_server, sign_in):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in("admin@acme.test", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tiers").click()
    page.get_by_role("link", name="Criteria and benefits").click()
    page.get_by_role("region", name="Silver").get_by_role("link", name="Edit criteria").click()
    page.wait_for_url(re.compile(r"/criteria/$"))  # its scripts run once loaded

    threshold = page.get_by_label("Condition 1: threshold")
    expect(page.get_by_role("group", name="Condition 1")).to_contain_text("EUR")
    threshold.fill("130000")
    threshold.blur()
    expect(threshold).to_have_value("130,000")

    page.get_by_role("button", name="+ Group").click()
    group = page.get_by_role("group", name="Group 2:")
    expect(group).to_be_visible()
    group.get_by_role("button", name="+ Certification").click()
    expect(page.get_by_role("group", name="Condition 2.2")).to_be_visible()
    page.get_by_role("button", name="Remove condition 2.1").click()
    expect(page.get_by_role("group", name="Condition 2.2")).to_have_count(0)
    certified = page.get_by_role("group", name="Condition 2.1")
    certified.get_by_label("Condition 2.1: people").fill("1")
    picker = certified.locator(".ts-control").get_by_role(
        "combobox", name="Condition 2.1: certification"
    )
    picker.press_sequentially("sales")
    expect(certified.get_by_role("listbox").get_by_role("option")).to_have_text(
        ["Sales Professional"]
    )
    picker.press("Enter")
    expect(page.locator("select[name='node:1.0:certification']")).to_have_value("sales-pro")

    no_sideways_scroll = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_sideways_scroll), "the builder fits 1280 px"

    threshold.fill("")
    page.get_by_role("button", name="Preview on today's data").click()
    expect(page.locator("#rb-0-value-problem")).to_have_text("Enter a number.")
    expect(page.get_by_text("Nothing to preview until the 1 problem marked")).to_be_visible()
    page.get_by_label("Condition 1: threshold").fill("130,000")
    page.get_by_role("button", name="Preview on today's data").click()
    what_if = page.get_by_role("region", name="What if")
    expect(what_if.get_by_role("heading", level=2)).to_have_text("What if: 1 partner would change")
    expect(what_if.locator(".rule-compare")).to_contain_text(
        "Revenue total over the last 12 months is at least EUR 130,000 and at least "
        "1 person certified in Sales Professional"
    )
    changes = what_if.get_by_role("table", name="Partners who would change")
    expect(changes.get_by_role("row", name="Acme P-002")).to_contain_text("SilverRegistered")
    assert page.evaluate(no_sideways_scroll), "the preview fits 1280 px too"
    with scope(tenant=placed.tenant):
        assert Program.objects.get().version == 1

    page.get_by_role("button", name="Save criteria").click()
    expect(page.get_by_text("Silver criteria saved as version 2.")).to_be_visible()
    expect(page.get_by_role("region", name="Silver")).to_contain_text(
        "Revenue total over the last 12 months is at least EUR 130,000 and at least 1 person "
        "certified in Sales Professional"
    )


def test_an_admin_confirms_a_run_then_undoes_it_and_the_partner_page_follows(
    placed, page, live_server, sign_in
):
    with scope(tenant=placed.tenant):
        set_values(placed, "P-003", "revenue", {"2026-10": "130000"})  # now qualifies for Silver
        partner = placed.partners["P-003"]
    sign_in("admin@acme.test", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tiers").click()
    page.get_by_role("link", name="Recalculate now…").click()
    expect(page.get_by_text("This evaluates 3 partners")).to_be_visible()
    expect(page.get_by_text("get an e-mail")).to_be_visible()
    page.get_by_role("button", name="Recalculate 3 partners").click()
    expect(page.get_by_text("Recalculation of Reseller Program for")).to_be_visible()
    expect(page.get_by_role("cell", name="3 evaluated, 1 promoted", exact=False)).to_be_visible()

    page.goto(f"{live_server.url}/o/acme/partners/{partner.pk}/")
    standing = page.get_by_role("region", name="Current tier")
    expect(standing).to_contain_text("Silver")
    expect(standing).to_contain_text("Qualifies for: Silver")

    page.goto(f"{live_server.url}/o/acme/tiers/")
    page.get_by_role("link", name="Undo the run of").click()
    page.get_by_role("button", name="Undo the run of").click()
    expect(page.get_by_text("is undone; every partner is back")).to_be_visible()
    page.goto(f"{live_server.url}/o/acme/partners/{partner.pk}/")
    expect(page.get_by_role("region", name="Current tier")).to_contain_text("Registered")
    expect(page.get_by_role("region", name="Tier history")).to_contain_text("undone")
