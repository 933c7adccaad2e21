"""Placements, history, programs, previews, overrides, runs, rebates and fund requests over
the API; and no resource of one tenant answers to another tenant's key."""

import datetime
import json

import pytest
from django_scopes import scope

from incentives.fund_services import fund_request_approve
from tiers.models import Program

from ..incentives.conftest import step, submit
from ..tiers.conftest import certify, load, set_values
from .conftest import ApiClient, key_for

D = datetime.date


@pytest.fixture
def placed(acme, globex):
    """Acme and Globex run the same program; Acme's P-001 is Silver on 22 November."""
    for world in (acme, globex):
        load(world)
    set_values(acme, "P-001", "revenue", {"2026-01": "150000", "2026-09": "58000"})
    set_values(acme, "P-001", "csat", {"2026-09": "4.6"})
    certify(acme, "P-001", "ann@p.test")
    from tiers.services import placements_recalculate

    with scope(tenant=acme.tenant):
        placements_recalculate(program=Program.objects.get(), as_of=D(2026, 11, 22))
    return acme


def test_a_placement_says_why_condition_by_condition(placed):
    api = ApiClient(key_for(placed, "read"))
    found = api.get("/api/v1/placements/P-001/").json()
    assert (found["tier"], found["qualified_tier"], found["evaluated_on"]) == (
        "silver",
        "silver",
        "2026-11-22",
    )
    explanation = {tier["tier"]: tier for tier in found["explanation"]}
    assert explanation["silver"]["held"] is True
    assert explanation["silver"]["conditions"] == [
        {
            "metric": "revenue",
            "aggregate": "sum",
            "window_months": 12,
            "op": ">=",
            "target": "100000.0000",
            "value": "208000.0000",
            "held": True,
        }
    ]
    gold = explanation["gold"]
    assert gold["held"] is False
    assert [c["held"] for c in gold["conditions"]] == [False, True, False]
    everyone = api.get("/api/v1/placements/").json()["results"]
    assert {p["partner_ref"]: p["tier"] for p in everyone}["P-001"] == "silver"


def test_history_since_a_day(placed):
    api = ApiClient(key_for(placed, "read"))
    changes = api.get("/api/v1/placements/history/", {"since": "2026-11-22"}).json()["results"]
    assert ("P-001", None, "silver") in [
        (c["partner_ref"], c["from_tier"], c["to_tier"]) for c in changes
    ]
    assert api.get("/api/v1/placements/history/", {"since": "2026-11-23"}).json()["results"] == []


def test_a_program_round_trips_and_a_bad_file_is_refused_whole(placed):
    api = ApiClient(key_for(placed))
    current = api.get("/api/v1/programs/resell/").json()
    assert current["version"] == 1
    edited = current["program"]
    edited["tiers"][1]["rule"]["value"] = "90000"
    saved = api.put("/api/v1/programs/resell/", edited).json()
    assert (saved["version"], saved["changed"]) == (2, True)
    typo = json.loads(json.dumps(edited))
    typo["tiers"][1]["rules"] = typo["tiers"][1].pop("rule")
    refused = api.put("/api/v1/programs/resell/", typo)
    assert refused.status_code == 400
    assert "unknown field “rules” (did you mean “rule”?)" in refused.json()["detail"]
    assert api.get("/api/v1/programs/resell/").json()["version"] == 2
    assert api.put("/api/v1/programs/other/", edited).status_code == 400


def test_a_preview_moves_nothing_and_a_read_key_may_ask(placed):
    reader = ApiClient(key_for(placed, "read"))
    today = reader.post("/api/v1/programs/resell/preview/?as_of=2026-11-24", {})
    assert today.status_code == 200
    assert today.json()["counts"]["evaluated"] == 3
    proposed = reader.get("/api/v1/programs/resell/").json()["program"]
    proposed["tiers"][1]["rule"]["value"] = "500000"  # Silver out of reach
    what_if = reader.post("/api/v1/programs/resell/preview/?as_of=2026-11-24", proposed).json()
    assert ("P-001", "silver", "registered") in [
        (m["partner_ref"], m["from_tier"], m["to_tier"]) for m in what_if["moves"]
    ]
    proposed["tiers"][1]["rule"]["metric"] = "revenu"
    refused = reader.post("/api/v1/programs/resell/preview/", proposed)
    assert refused.status_code == 400 and "revenu" in refused.json()["detail"]
    found = reader.get("/api/v1/placements/P-001/").json()
    assert (found["tier"], found["evaluated_on"]) == ("silver", "2026-11-22"), "nothing saved"
    assert reader.get("/api/v1/programs/resell/").json()["version"] == 1


def test_an_override_is_set_and_cleared(placed):
    api = ApiClient(key_for(placed))
    body = {"tier": "gold", "until": "2027-01-01", "reason": "Launch partner"}
    held = api.put("/api/v1/partners/P-001/override/", body).json()
    assert (held["tier"], held["override_until"]) == ("gold", "2027-01-01")
    assert (
        api.put("/api/v1/partners/P-001/override/", {**body, "tier": "platinum"}).status_code == 400
    )
    cleared = api.client.delete(
        "/api/v1/partners/P-001/override/", secure=True, headers=api.headers
    ).json()
    assert (cleared["tier"], cleared["override_tier"]) == ("silver", None)


def test_a_run_is_started_and_polled(placed, django_capture_on_commit_callbacks):
    api = ApiClient(key_for(placed))
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post("/api/v1/programs/resell/runs/", {"as_of": "2026-11-24"})
    assert started.status_code == 202
    run = api.get(f"/api/v1/programs/resell/runs/{started.json()['id']}/").json()
    assert run["status"] == "done" and run["summary"]["evaluated"] == 3
    ahead = api.post("/api/v1/programs/resell/runs/", {"as_of": "2026-12-24"})
    assert ahead.status_code == 400


def test_fund_requests_are_read_and_decided_with_a_key_an_admin_made(rebates):
    from incentives.fund_services import mdf_allocate
    from incentives.quarters import Quarter
    from partnerhub.api.keys import api_key_create

    from ..incentives.conftest import history

    history(rebates, "P-001", D(2026, 3, 1), "gold")
    with scope(tenant=rebates.tenant):
        mdf_allocate(tenant=rebates.tenant, quarter=Quarter.parse("2026-Q4"))
        made = api_key_create(
            tenant=rebates.tenant, name="ERP", scope="write", created_by=rebates.admin.user
        )
    fund_request = submit(rebates, "3000.00")
    api = ApiClient(made.secret)
    listed = api.get("/api/v1/mdf/requests/", {"status": "submitted"}).json()["results"]
    assert [(r["id"], r["amount_requested"]) for r in listed] == [(fund_request.pk, "3000.00")]
    url = f"/api/v1/mdf/requests/{fund_request.pk}/decision/"
    decided = api.post(url, {"decision": "approve", "amount": "2500.00", "note": "No print."})
    assert (decided.json()["status"], decided.json()["amount_approved"]) == ("approved", "2500.00")
    again = api.post(url, {"decision": "reject", "note": "late"})
    assert again.status_code == 409
    assert "This request is approved: it cannot be rejected" in again.json()["detail"]
    headless = ApiClient(key_for(rebates))
    assert headless.post(url, {"decision": "send_back_claim", "note": "x"}).status_code == 403


def test_rebate_totals_need_a_quarter(rebates):
    api = ApiClient(key_for(rebates, "read"))
    assert api.get("/api/v1/rebates/totals/", {"quarter": "2026-Q3"}).json() == []
    bad = api.get("/api/v1/rebates/totals/", {"quarter": "Q3"})
    assert (bad.status_code, bad.json()["errors"][0]["path"]) == (400, "quarter")


def test_no_resource_of_one_tenant_answers_to_another_tenants_key(rebates, globex):
    """Globex has the same refs and program key; its key must never reach Acme's rows."""
    from incentives.fund_services import mdf_allocate
    from incentives.quarters import Quarter

    from ..incentives.conftest import history

    history(rebates, "P-001", D(2026, 3, 1), "gold")
    with scope(tenant=rebates.tenant):
        mdf_allocate(tenant=rebates.tenant, quarter=Quarter.parse("2026-Q4"))
    acme_request = submit(rebates, "1000.00")
    step(rebates, fund_request_approve, acme_request, amount=acme_request.amount_requested)
    stranger = ApiClient(key_for(globex))
    with scope(tenant=globex.tenant):
        Program.objects.filter(key="resell").delete()  # Globex has no program of that key
    for path in (
        "/api/v1/programs/resell/",
        "/api/v1/programs/resell/runs/1/",
        f"/api/v1/mdf/requests/{acme_request.pk}/decision/",
    ):
        answer = (
            stranger.get(path)
            if "decision" not in path
            else stranger.post(path, {"decision": "reject", "note": "x"})
        )
        assert answer.status_code == 404, path
    assert stranger.get("/api/v1/mdf/requests/").json()["results"] == []
    assert stranger.get("/api/v1/placements/P-001/").status_code == 404
    assert stranger.get("/api/v1/rebates/ledger/").json()["results"] == []
