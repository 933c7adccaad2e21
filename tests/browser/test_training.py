"""A partner user takes a course through to a certification in Chromium; the manager sees it."""

import pytest
from playwright.sync_api import expect

from ..factories import PASSWORD
from ..training.conftest import catalog  # noqa: F401 - the shared training fixture

pytestmark = pytest.mark.browser


def test_a_partner_user_earns_a_certification_and_the_manager_sees_it(
    catalog,  # noqa: F811 - the fixture imported above
    page,
    live_server,
    sign_in,
    browser,
):
    sign_in("partner@acme.test", PASSWORD)
    page.get_by_role("link", name="My training").click()
    expect(page.locator(".course-card.locked", has_text="Elite course")).to_contain_text(
        "Opens at the Gold tier."
    )

    for title, has_quiz in (("Basics course", True), ("Selling course", False)):
        page.get_by_role("link", name="My training").click()
        page.get_by_role("link", name=title).first.click()
        page.get_by_role("button", name="Enrol").click()
        page.get_by_role("link", name=f"{title.split()[0].lower()} lesson 1").click()
        page.get_by_role("button", name="Mark as read and continue").click()
        expect(
            page.get_by_role("heading", name=f"{title.split()[0].lower()} lesson 2")
        ).to_be_visible()
        page.get_by_role("button", name="Mark as read and continue").click()
        if has_quiz:
            page.get_by_role("link", name="Take the quiz").click()
            for group in page.locator("fieldset").all():
                group.get_by_label("Right").check()
            page.get_by_role("button", name="Submit answers").click()
            expect(
                page.get_by_text("Passed with 100 %: you completed Basics course.")
            ).to_be_visible()
        else:
            expect(page.get_by_text("You completed Selling course.")).to_be_visible()

    page.get_by_role("link", name="My training").click()
    expect(page.get_by_role("cell", name="Sales Professional")).to_be_visible()
    expect(page.get_by_text("Active")).to_be_visible()

    manager = browser.new_context().new_page()
    manager.goto(f"{live_server.url}/accounts/login/")
    manager.get_by_label("Email").fill("manager@acme.test")
    manager.get_by_label("Password").fill(PASSWORD)
    manager.get_by_role("button", name="Sign In").click()
    manager.goto(f"{live_server.url}/o/acme/partners/{catalog.partner.pk}/")
    row = manager.get_by_role("row", name="partner@acme.test")
    expect(row).to_contain_text("Sales Professional")
    expect(row).to_contain_text("Active")
