"""Partners over the API: read with their placement, page by cursor, sync by `updated_since`,
upsert by ref with the same validation as the pages."""

import datetime

from django_scopes import scope

from partners.models import Partner

from ..factories import PartnerFactory


def test_partners_page_by_cursor_in_a_stable_order(acme, acme_api):
    with scope(tenant=acme.tenant):
        for n in range(7):
            PartnerFactory(tenant=acme.tenant, ref=f"Q-{n}")
    seen, url = [], "/api/v1/partners/?page_size=4"
    while url:
        page = acme_api.get(url).json()
        seen += [p["ref"] for p in page["results"]]
        url = page["next"]
    assert len(seen) == 10 and len(set(seen)) == 10


def test_updated_since_returns_only_what_changed(acme, acme_api, time_machine):
    later = datetime.datetime(2026, 11, 25, 8, tzinfo=datetime.UTC)
    time_machine.move_to(later)
    acme_api.put("/api/v1/partners/P-002/", {"name": "Renamed", "type": "reseller"})
    changed = acme_api.get("/api/v1/partners/", {"updated_since": later.isoformat()}).json()
    assert [p["ref"] for p in changed["results"]] == ["P-002"]
    bad = acme_api.get("/api/v1/partners/", {"updated_since": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["path"] == "updated_since"


def test_a_partner_is_created_or_updated_by_its_ref(acme, globex, acme_api):
    created = acme_api.put(
        "/api/v1/partners/P-100/", {"name": "Northwind", "type": "msp", "region": "EMEA"}
    )
    assert created.status_code == 201
    assert created.json() | {"updated_at": None} == {
        "ref": "P-100",
        "name": "Northwind",
        "type": "msp",
        "region": "EMEA",
        "status": "active",
        "programs": [],
        "program": None,
        "account_manager": None,
        "joined_on": "2026-11-24",
        "updated_at": None,
        "placements": [],
        "placement": None,
    }
    updated = acme_api.put("/api/v1/partners/P-100/", {"name": "Northwind Ltd", "type": "msp"})
    assert (updated.status_code, updated.json()["joined_on"]) == (200, "2026-11-24")
    with scope(tenant=globex.tenant):
        assert not Partner.objects.filter(ref="P-100").exists()


def test_a_bad_partner_is_refused_naming_each_field(acme_api):
    response = acme_api.put(
        "/api/v1/partners/P-100/",
        {"name": "", "type": "Managed Services", "regoin": "EMEA", "program": "nope"},
    )
    assert response.status_code == 400
    errors = {e["path"]: e["detail"] for e in response.json()["errors"]}
    assert errors["regoin"].startswith("unknown field (did you mean “region”?)")
    response = acme_api.put("/api/v1/partners/P-100/", {"name": "X", "type": "Managed Services"})
    assert response.json()["errors"][0]["path"] == "type"
    response = acme_api.put(
        "/api/v1/partners/P-100/", {"name": "X", "type": "msp", "program": "nope"}
    )
    assert response.json()["errors"] == [{"path": "program", "detail": "unknown program “nope”"}]
    assert acme_api.get("/api/v1/partners/P-100/").status_code == 404


def test_a_partners_programs_are_set_and_read_as_a_list(acme, acme_api):
    from tiers.programs import program_load

    from ..tiers.conftest import PROGRAM

    with scope(tenant=acme.tenant):
        for key in ("resell", "services"):
            program_load(tenant=acme.tenant, data={**PROGRAM, "key": key, "name": key.title()})
    both = acme_api.put(
        "/api/v1/partners/P-001/",
        {"name": "Acme P-001", "type": "reseller", "programs": ["services", "resell"]},
    ).json()
    assert both["programs"] == ["resell", "services"], "by program name"
    assert [(p["program"], p["tier"]) for p in both["placements"]] == [
        ("resell", None),
        ("services", None),
    ]
    assert (both["program"], both["placement"]["program"]) == ("resell", "resell")
    kept = acme_api.put("/api/v1/partners/P-001/", {"name": "Renamed", "type": "reseller"})
    assert kept.json()["programs"] == ["resell", "services"], "no programs sent: kept"
    typo = acme_api.put(
        "/api/v1/partners/P-001/",
        {"name": "X", "type": "msp", "programs": ["resell", "servces"]},
    )
    assert typo.status_code == 400
    assert typo.json()["errors"] == [
        {"path": "programs[1]", "detail": "unknown program “servces” (did you mean “services”?)"}
    ]
    both_fields = acme_api.put(
        "/api/v1/partners/P-001/",
        {"name": "X", "type": "msp", "programs": [], "program": "resell"},
    )
    assert both_fields.json()["errors"][0]["path"] == "program"
    ambiguous = acme_api.get("/api/v1/placements/P-001/")
    assert ambiguous.status_code == 400
    assert "in 2 programs (resell, services); name one" in ambiguous.json()["detail"]
    one = acme_api.get("/api/v1/placements/P-001/", {"program": "services"})
    assert (one.status_code, one.json()["program"]) == (200, "services")
    assert acme_api.get("/api/v1/placements/P-001/", {"program": "retail"}).status_code == 404
    left = acme_api.put(
        "/api/v1/partners/P-001/", {"name": "X", "type": "msp", "program": "resell"}
    ).json()
    assert left["programs"] == ["resell"]
    listed = acme_api.get("/api/v1/placements/", {"program": "resell"}).json()["results"]
    assert [p["partner_ref"] for p in listed] == ["P-001"]
