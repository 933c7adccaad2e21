"""Market development funds in real Chromium: a partner requests funds and files a claim with
proof, a manager approves both, and the partner sees the payout and its rebate statement."""

from decimal import Decimal

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from ..factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_partner_requests_and_claims_funds_a_manager_approves_both(
    gold_partner, page, live_server, sign_in, tmp_path
):
    acme, last_quarter = gold_partner
    today = acme.tenant.local_today().isoformat()
    sign_in("partner@acme.test", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My funds").click()
    expect(page.locator("#funds-available")).to_have_text("€10,000.00")

    page.get_by_role("link", name="Request funds").click()
    page.get_by_label("Title").fill("Partner summit booth")
    page.get_by_label("Type").select_option(label="Trade show")
    page.get_by_label("Starts on").fill(today)
    page.get_by_label("Ends on").fill(today)
    page.get_by_label("Amount requested").fill("4000")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#request-status")).to_have_text("Awaiting approval")
    page.get_by_role("link", name="My funds").first.click()
    expect(page.locator("#funds-available")).to_have_text("€6,000.00")

    manager = page.context.browser.new_page()
    _sign_in(manager, live_server, "manager@acme.test")
    manager.get_by_role("navigation", name="Main").get_by_role("link", name="Funds").click()
    row = manager.get_by_role("row").filter(has_text="Partner summit booth")
    expect(row).to_contain_text("Gold")
    expect(row).to_contain_text("€6,000.00")
    row.get_by_role("link", name="Partner summit booth").click()
    manager.get_by_label("Amount approved").fill("3500")
    manager.get_by_label("Note to the partner").first.fill("The booth, without the catering.")
    manager.get_by_role("button", name="Approve", exact=True).click()
    expect(manager.locator("#request-status")).to_have_text("Approved")

    page.reload()
    expect(page.locator("#funds-available")).to_have_text("€6,500.00")
    page.get_by_role("link", name="Partner summit booth").click()
    page.get_by_role("link", name="File a claim").click()
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF-1.4 booth invoice")
    photo = tmp_path / "booth.png"
    photo.write_bytes(b"\x89PNG booth photo")
    page.get_by_label("Actual cost").fill("3200.00")
    page.get_by_label("Proof of performance").set_input_files([invoice, photo])
    page.get_by_role("button", name="File claim").click()
    expect(page.locator("#request-status")).to_have_text("Claim awaiting approval")
    expect(page.get_by_role("link", name="invoice.pdf")).to_be_visible()

    manager.goto(f"{live_server.url}/o/acme/funds/")
    manager.get_by_role("link", name="Partner summit booth").click()
    expect(manager.get_by_label("Amount approved")).to_have_value("3200.00")
    manager.get_by_role("button", name="Approve and pay").click()
    expect(manager.locator("#request-status")).to_have_text("Paid")

    page.reload()
    expect(page.locator("#request-status")).to_have_text("Paid")
    expect(page.locator("#amount-paid")).to_have_text("€3,200.00")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My rebates").click()
    statement = page.get_by_role("table", name="Rebate statement")
    expect(statement).to_contain_text(str(last_quarter))
    expect(statement).to_contain_text("€4,200.00")  # 3.5 % of 120,000


def _sign_in(page, live_server, email):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_a_manager_works_a_fund_request_from_the_bell(gold_partner, page, live_server):
    from incentives.fund_services import fund_request_submit

    acme, _ = gold_partner
    today = acme.tenant.local_today()
    with scope(tenant=acme.tenant):
        fund_request_submit(
            membership=acme.partner_user,
            title="Webinar week",
            activity_type="webinar",
            starts_on=today,
            ends_on=today,
            amount=Decimal("1500.00"),
        )
    _sign_in(page, live_server, "manager@acme.test")
    bell = page.get_by_role("link", name="Notifications, 1 unread")
    expect(bell).to_be_visible()
    bell.click()
    page.get_by_role("link", name="Acme P-001 requests €1,500.00 for “Webinar week”.").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Webinar week")
    expect(page.get_by_role("link", name="Notifications, 0 unread")).to_be_visible()
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator("#request-status")).to_have_text("Approved")
