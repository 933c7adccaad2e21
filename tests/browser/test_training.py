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
            page.wait_for_url("**/quiz/")
            expect(page.locator("fieldset").first).to_be_visible()  # .all() does not wait
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


PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def test_an_admin_writes_a_lesson_with_an_image_and_a_video_and_a_partner_reads_it(
    catalog,  # noqa: F811 - the fixture imported above
    page,
    live_server,
    sign_in,
):
    sign_in("admin@acme.test", PASSWORD)
    page.goto(f"{live_server.url}/o/acme/training/catalog/courses/{catalog.selling.pk}/")
    page.get_by_role("link", name="Add lesson").click()
    page.get_by_label("Title").fill("Reading the diagram")
    editor = page.get_by_label("Text")
    editor.click()
    page.keyboard.type("Start with the ")
    bold = page.get_by_role("button", name="Bold")
    bold.click()
    page.keyboard.type("diagram")
    bold.click()
    expect(editor.locator("strong")).to_have_text("diagram")
    # What a drop or the paperclip does: Trix is handed a file, which goes to the server.
    page.evaluate(
        """b64 => {
          const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
          const file = new File([bytes], "diagram.png", {type: "image/png"});
          document.querySelector("trix-editor").editor.insertFile(file);
        }""",
        PNG_1PX,
    )
    expect(page.locator("trix-editor img[src*='/training/lesson-images/']")).to_be_visible()
    page.evaluate(
        """() => document.querySelector("trix-editor").editor.insertFile(
             new File(["<svg/>"], "logo.svg", {type: "image/svg+xml"}))"""
    )
    expect(page.get_by_role("alert").filter(has_text="logo.svg")).to_have_text(
        "logo.svg: lesson images are PNG, JPEG, GIF or WebP."
    )
    page.get_by_label("Video or file link").fill("https://youtu.be/dQw4w9WgXcQ")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator("strong")).to_have_text("diagram")
    expect(preview.locator("iframe")).to_have_attribute(
        "src", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Lesson Reading the diagram saved.")).to_be_visible()

    page.context.clear_cookies()
    sign_in("partner@acme.test", PASSWORD)
    page.goto(f"{live_server.url}/o/acme/training/courses/{catalog.selling.pk}/")
    page.get_by_role("button", name="Enrol").click()
    page.get_by_role("link", name="selling lesson 1").click()
    for following in ("selling lesson 2", "Reading the diagram"):
        page.get_by_role("button", name="Mark as read and continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(following)
    image = page.locator("article.lesson img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 1
    expect(page.locator("article.lesson iframe")).to_have_attribute(
        "title", "Video: Reading the diagram"
    )
