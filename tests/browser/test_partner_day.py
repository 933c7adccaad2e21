"""A partner user's day on a phone: the home says what the next tier needs, and a missing
certification leads straight to the course that earns it."""

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from tiers.models import Program
from tiers.services import placements_recalculate
from training.models import Certification, Course, CourseStatus

from ..factories import PASSWORD
from ..tiers.conftest import certify, load, set_values

pytestmark = pytest.mark.browser


def months_ago(today, n: int) -> str:
    month = today.year * 12 + today.month - 1 - n
    return f"{month // 12}-{month % 12 + 1:02d}"


def test_a_partner_follows_a_missing_certification_to_its_course(acme, page, live_server, sign_in):
    load(acme)
    today = acme.tenant.local_today()
    set_values(
        acme, "P-001", "revenue", {months_ago(today, 3): "150000", months_ago(today, 1): "58000"}
    )
    set_values(acme, "P-001", "csat", {months_ago(today, 1): "4.6"})
    certify(acme, "P-001", "ann@p.test")
    with scope(tenant=acme.tenant):
        placements_recalculate(program=Program.objects.get(), as_of=today)
        course = Course.objects.create(
            tenant=acme.tenant,
            key="selling",
            title="Consultative selling",
            status=CourseStatus.PUBLISHED,
            summary="Discovery calls and business cases.",
        )
        Certification.objects.get(key="sales-pro").courses.add(course)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in("partner@acme.test", PASSWORD)
    gold = page.get_by_role("region", name="Next tier")
    expect(gold).to_contain_text("Toward Gold")
    expect(gold).to_contain_text("Missing: 1 more Sales Professional")
    gold.get_by_role("link", name="Consultative selling").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultative selling")
