"""The managers' queue of demotions in real Chromium: a manager follows the home's count to the
queue, approves one demotion and holds another, and the partner reads the move in its history."""

import datetime

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from tiers.models import PendingDemotion, Program
from tiers.services import placements_recalculate

from ..factories import PASSWORD
from ..tiers.conftest import load, set_values
from .test_accessibility import violations

pytestmark = pytest.mark.browser


def months_ago(day: datetime.date, months: int) -> str:
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@pytest.fixture
def two_due_demotions(acme):
    """P-001 and P-002 were Silver last month on revenue of 13 months ago, which today's
    window no longer reads: both demotions wait for a manager (the program asks for approval)."""
    today = acme.tenant.local_today()
    load(acme, demotion_approval=True)
    for ref in ("P-001", "P-002"):
        set_values(acme, ref, "revenue", {months_ago(today, 13): "100000"})
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    with scope(tenant=acme.tenant):
        program = Program.objects.get()
        placements_recalculate(program=program, as_of=last_month.replace(day=1), notify=False)
        placements_recalculate(program=program, as_of=today, notify=False)
        assert PendingDemotion.objects.count() == 2
    return acme


def test_a_manager_approves_one_demotion_and_holds_another(two_due_demotions, page, sign_in):
    acme = two_due_demotions
    next_year = (acme.tenant.local_today() + datetime.timedelta(days=365)).isoformat()
    sign_in("manager@acme.test", PASSWORD)
    page.get_by_role("link", name="2 demotions waiting for your decision").click()
    queue = page.get_by_role("table", name="Demotions waiting for a decision")
    expect(queue.get_by_role("row")).to_have_count(3)  # the header and two
    assert violations(page) == []

    first = queue.get_by_role("row").filter(has_text="Acme P-001")
    expect(first).to_contain_text("Silver → Registered")
    first.get_by_role("button", name="Approve: Acme P-001 to Registered").click()
    expect(page.get_by_text("Acme P-001 moves to Registered today.")).to_be_visible()

    second = queue.get_by_role("row").filter(has_text="Acme P-002")
    second.get_by_text("Hold…").click()
    hold = second.get_by_role("form", name="Hold Acme P-002")
    hold.get_by_label("Hold until (exclusive)").fill(next_year)
    hold.get_by_role("button", name="Hold at Silver").click()  # no reason yet: not sent
    assert hold.get_by_label("Reason").evaluate("field => field.validity.valueMissing")
    hold.get_by_label("Reason").fill("Key account, new distributor contract in Q1")
    hold.get_by_role("button", name="Hold at Silver").click()
    expect(page.get_by_text("Acme P-002 stays at Silver until")).to_be_visible()

    expect(queue).to_contain_text("Nothing waiting")
    decided = page.get_by_role("table", name="Demotions decided lately")
    expect(decided).to_contain_text("Approved by")
    expect(decided).to_contain_text("Key account, new distributor contract in Q1")

    decided.get_by_role("link", name="Acme P-001").click()
    history = page.get_by_role("region", name="Tier history")
    expect(history.get_by_role("row").nth(1)).to_contain_text("Silver → Registered")
