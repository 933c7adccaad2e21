"""Small things every page does: a skip link to the content, a favicon, and words that agree
with their numbers."""

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from training.models import Course, CourseStatus, Question

from ..factories import PASSWORD

pytestmark = pytest.mark.browser


def test_the_first_tab_offers_a_skip_link_to_the_content(acme, page, live_server, sign_in):
    sign_in("partner@acme.test", PASSWORD)
    page.goto(f"{live_server.url}/o/acme/")
    expect(page.locator("main#main")).to_be_visible()
    page.locator("body").press("Tab")  # from the top of the page
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    skip.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(live_server.url + icon).ok


def test_one_question_is_not_one_questions(acme, page, live_server, sign_in):
    with scope(tenant=acme.tenant):
        course = Course.objects.create(
            tenant=acme.tenant, key="basics", title="Basics", status=CourseStatus.PUBLISHED
        )
        Question.objects.create(tenant=acme.tenant, course=course, position=1, text="Why?")
    sign_in("manager@acme.test", PASSWORD)
    page.goto(f"{live_server.url}/o/acme/training/")
    expect(page.get_by_role("row").filter(has_text="Basics")).to_contain_text("1 question, pass")


def test_a_form_opens_with_focus_in_its_first_field_or_its_first_problem(
    acme, page, live_server, sign_in
):
    sign_in("manager@acme.test", PASSWORD)
    page.goto(f"{live_server.url}/o/acme/partners/new/")
    expect(page.get_by_label("Ref")).to_be_focused()
    page.get_by_label("Ref").fill("P-900")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Name")).to_be_focused()
