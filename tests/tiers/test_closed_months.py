"""Closed months: imports mark a month complete (command, API, page), and a program that
requires it waits for them: the nightly run skips it, the dashboard says what it waits for, and
a manual run or the command asks to confirm. Running on half-arrived data is how one trial
demoted 24 dealers; this is the guard."""

import datetime
import json

import pytest
from django.core.management import CommandError
from django_scopes import scope

from metrics.models import ClosedMonth, MetricValue
from partnerhub.tenancy.models import AuditEntry
from tiers.models import Program, RecalculationRun
from tiers.selectors import open_data
from tiers.tasks import recalculate_tenant_if_due

from ..api.conftest import ApiClient, key_for
from .conftest import load
from .test_commands import command

D = datetime.date
TODAY = D(2026, 11, 24)  # the tests' calendar


def close(world, month):
    from metrics.services import month_close

    with scope(tenant=world.tenant):
        return month_close(tenant=world.tenant, month=month, source="command")


def waiting(world, on=TODAY) -> list[str]:
    with scope(tenant=world.tenant):
        return [str(found) for found in open_data(Program.objects.get(), on)]


def test_a_program_waits_until_the_latest_month_its_rules_read_is_closed(acme, globex):
    for world in (acme, globex):
        load(world, require_closed_months=True)
    assert waiting(acme) == [
        "csat 2026-05 to 2026-10 (the last 23 days late)",
        "revenue 2025-11 to 2026-10 (the last 23 days late)",
    ]
    assert waiting(acme, on=D(2026, 11, 4)) == [
        "csat 2026-05 to 2026-10 (the last 3 days late)",
        "revenue 2025-11 to 2026-10 (the last 3 days late)",
    ]
    close(acme, D(2026, 9, 1))
    assert waiting(acme) == ["csat 2026-10 (23 days late)", "revenue 2026-10 (23 days late)"]
    close(acme, D(2026, 10, 1))
    assert waiting(acme) == [], "October closes every month before it too"
    assert len(waiting(globex)) == 2, "another tenant's close is not this one's"
    with scope(tenant=acme.tenant):
        entries = list(AuditEntry.objects.values_list("action", "subject"))
    assert entries == [
        ("month.closed", "2026-10 closed (command)"),
        ("month.closed", "2026-09 closed (command)"),
    ]


def test_a_month_that_has_not_ended_cannot_be_closed(acme):
    from metrics.services import MonthNotClosable

    with pytest.raises(MonthNotClosable, match="2026-11 has not ended yet"):
        close(acme, D(2026, 11, 1))
    close(acme, D(2026, 10, 1))
    close(acme, D(2026, 10, 1))  # again: the first close stands
    with scope(tenant=acme.tenant):
        assert ClosedMonth.objects.count() == 1 and AuditEntry.objects.count() == 1


def test_the_nightly_run_skips_a_program_waiting_for_data(acme):
    load(acme, require_closed_months=True)
    assert recalculate_tenant_if_due(tenant_id=acme.tenant.pk) == 0
    with scope(tenant=acme.tenant):
        assert not RecalculationRun.objects.exists()
    close(acme, D(2026, 10, 1))
    assert recalculate_tenant_if_due(tenant_id=acme.tenant.pk) == 1


def test_the_dashboard_says_what_it_waits_for_and_a_manual_run_asks_to_confirm(acme):
    program = load(acme, require_closed_months=True)
    client = acme.client_for(acme.admin)
    page = client.get("/o/acme/tiers/").content.decode()
    assert "Waiting for data:</strong> csat 2026-05 to 2026-10" in page
    run_url = f"/o/acme/tiers/programs/{program.pk}/run/"
    asked = client.post(run_url)
    assert asked.status_code == 200 and "Tick this to run before the data is complete" in (
        asked.content.decode()
    )
    with scope(tenant=acme.tenant):
        assert not RecalculationRun.objects.exists(), "not confirmed: nothing started"
    assert client.post(run_url, {"open_months": "confirmed"}).status_code == 302
    with scope(tenant=acme.tenant):
        assert RecalculationRun.objects.count() == 1


def test_import_metrics_closes_the_month_once_the_file_is_in(acme, tmp_path):
    load(acme, require_closed_months=True)
    values = tmp_path / "october.csv"
    values.write_text("partner_ref,metric,period,value\nP-001,revenue,2026-10,1000\n")
    with pytest.raises(CommandError, match=r"2026-11 has not ended yet.*Nothing was imported"):
        command("import_metrics", "--tenant", "acme", str(values), "--close", "2026-11")
    with scope(tenant=acme.tenant):
        assert not MetricValue.objects.exists()
    with pytest.raises(CommandError, match="waiting for data: csat"):
        command("recalculate_tiers", "--tenant", "acme", "--as-of", "2026-11-24")
    out = command("import_metrics", "--tenant", "acme", str(values), "--close", "2026-10")
    assert "2026-10 is closed: its data is complete." in out
    assert "3 partners evaluated" in command(
        "recalculate_tiers", "--tenant", "acme", "--as-of", "2026-11-24"
    )


def test_the_api_closes_a_month_with_its_values_or_writes_nothing(acme):
    load(acme, require_closed_months=True)
    api = ApiClient(key_for(acme))
    value = {"partner_ref": "P-001", "metric": "revenue", "period": "2026-10", "value": "1"}
    refused = api.post(
        "/api/v1/metric-values/", json.dumps({"values": [value], "close": "2026-11"})
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["path"] == "close"
    typo = api.post("/api/v1/metric-values/", json.dumps({"values": [value], "closed": "2026-10"}))
    assert "(did you mean “close”?)" in typo.json()["errors"][0]["detail"]
    with scope(tenant=acme.tenant):
        assert not MetricValue.objects.exists() and not ClosedMonth.objects.exists()
    done = api.post("/api/v1/metric-values/", json.dumps({"values": [value], "close": "2026-10"}))
    assert done.json() == {
        "rows": 1,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "closed": "2026-10",
    }
    assert waiting(acme) == []


def test_an_admin_closes_a_month_from_the_metrics_page(acme):
    load(acme, require_closed_months=True)
    page = acme.client_for(acme.admin).get("/o/acme/metrics/").content.decode()
    assert 'aria-label="Mark 2026-10 complete"' in page
    assert (
        "Mark complete"
        not in acme.client_for(acme.manager).get("/o/acme/metrics/").content.decode()
    )
    closed = acme.client_for(acme.admin).post(
        "/o/acme/metrics/months/close/", {"month": "2026-10"}, follow=True
    )
    text = closed.content.decode()
    assert "2026-10 is closed: its data is complete." in text
    assert "Complete (a later month is closed)" in text, "September and before"
    with scope(tenant=acme.tenant):
        assert ClosedMonth.objects.get().closed_by == acme.admin.user
    not_over = acme.client_for(acme.admin).post(
        "/o/acme/metrics/months/close/", {"month": "2026-11"}, follow=True
    )
    assert "2026-11 has not ended yet" in not_over.content.decode()
