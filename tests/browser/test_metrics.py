"""Importing metric values and reading a scorecard, in real Chromium."""

import datetime
from decimal import Decimal

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from metrics.models import Metric, MetricValue

from ..factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def revenue(acme):
    with scope(tenant=acme.tenant):
        return Metric.objects.create(
            tenant=acme.tenant, key="revenue", name="Revenue", unit="currency"
        )


def test_a_manager_uploads_a_file_and_reads_the_report(acme, revenue, page, sign_in, tmp_path):
    good = tmp_path / "october.csv"
    good.write_text(
        "partner_ref,metric,period,value\nP-001,revenue,2026-10,1500\nP-002,revenue,2026-10,900\n"
    )
    bad = tmp_path / "broken.csv"
    bad.write_text("partner_ref,metric,period,value\nP-001,revenue,Oct 2026,1500\n")
    sign_in("manager@acme.test", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Metrics").click()
    page.get_by_role("link", name="Import values").click()

    page.get_by_label("CSV or Excel file").set_input_files(str(good))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("#import-outcome")).to_have_text("2 rows: 2 new, 0 updated, 0 unchanged.")

    page.get_by_role("link", name="All imports").click()
    page.get_by_label("CSV or Excel file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("#import-state")).to_have_text("Rejected")
    expect(
        page.get_by_text("line 2: period “Oct 2026” is not a month written YYYY-MM")
    ).to_be_visible()


def test_a_partner_user_reads_their_scorecard(acme, revenue, page, sign_in):
    today = acme.tenant.local_today()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    with scope(tenant=acme.tenant):
        MetricValue.objects.create(
            tenant=acme.tenant,
            partner=acme.partner,
            metric=revenue,
            period=last_month,
            value=Decimal("2500.75"),
        )
    sign_in("partner@acme.test", PASSWORD)
    page.get_by_role("link", name="My scorecard").click()
    card = page.get_by_role("region", name="Revenue")
    expect(card).to_contain_text("Total")
    expect(card).to_contain_text("EUR 2,500.75")
    expect(card.locator(".chart-bar")).to_have_count(1)
    expect(card.locator(".chart-gap")).to_have_count(11)
