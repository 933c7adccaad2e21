"""axe-core (vendored: tests/browser/vendor/axe.min.js, 4.10.3, MPL-2.0) finds no serious or
critical accessibility violation on the main page of each role."""

import re
from pathlib import Path

import pytest

from ..factories import PASSWORD

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


def violations(page) -> list[str]:
    page.evaluate(AXE)  # evaluated through the browser's protocol: our CSP does not apply
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    return found


@pytest.mark.parametrize(
    ("email", "path"),
    [
        ("partner@acme.test", "/o/acme/"),
        ("manager@acme.test", "/o/acme/"),
        ("admin@acme.test", "/o/acme/"),
        ("manager@acme.test", "/o/acme/partners/"),
        ("manager@acme.test", "/o/acme/funds/"),
    ],
)
def test_the_main_pages_have_no_serious_violation(
    gold_partner, page, live_server, sign_in, email, path
):
    sign_in(email, PASSWORD)
    page.goto(live_server.url + path)
    assert violations(page) == []


def test_the_sign_in_page_has_no_serious_violation(db, page, live_server):
    page.goto(live_server.url + "/accounts/login/")
    assert violations(page) == []


def test_the_rule_builder_has_no_serious_violation(gold_partner, page, live_server, sign_in):
    sign_in("admin@acme.test", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tiers").click()
    page.get_by_role("link", name="Criteria and benefits").click()
    page.get_by_role("region", name="Gold").get_by_role("link", name="Edit criteria").click()
    page.wait_for_url(re.compile(r"/criteria/$"))  # its scripts run once loaded
    page.get_by_role("button", name="+ Group").first.click()
    page.locator(".ts-wrapper").last.wait_for()
    assert violations(page) == []
