"""The partner list's tier sort reads each partner's highest tier from its own table
(tiers.PartnerTierOrder), kept by database triggers. Whatever changes a tier, the key says
what the placements say, in each tenant on its own."""

import os
import sqlite3
import subprocess
import sys

from django.conf import settings
from django.db.models import Max
from django_scopes import scope

from partners.models import Partner
from partners.services import partner_create, partner_update
from tiers.models import PartnerTierOrder, Program
from tiers.programs import program_load
from tiers.services import (
    placement_override,
    placement_override_clear,
    placements_recalculate,
    recalculation_create,
    recalculation_run,
    recalculation_undo,
)

from .conftest import PROGRAM, TODAY, load, set_values
from .test_tracks import SERVICES, import_partners


def sort_keys(world) -> dict[str, tuple]:
    """{partner ref: (its key's rank, its key's ref)}."""
    with scope(tenant=world.tenant):
        return {
            key.partner.ref: (key.rank, key.ref)
            for key in PartnerTierOrder.objects.select_related("partner")
        }


def highest_tiers(world) -> dict[str, tuple]:
    """What the keys must say: the highest rank of each partner's current tiers, and its ref."""
    with scope(tenant=world.tenant):
        return {
            partner.ref: (partner.top, partner.ref)
            for partner in Partner.objects.annotate(top=Max("placements__tier__rank"))
        }


def listed_by_tier(world, sort="tier") -> list[str]:
    page = world.client_for(world.manager).get(f"/o/{world.tenant.slug}/partners/", {"sort": sort})
    rows = page.context["page"].rows
    return [partner.ref for partner in rows]


def test_the_tier_sort_key_follows_every_way_a_tier_changes(acme, globex):
    for world in (acme, globex):
        load(world)
        with scope(tenant=world.tenant):
            program_load(tenant=world.tenant, data=SERVICES)
    import_partners(acme, "ref,name,type,programs\nP-001,Acme P-001,reseller,resell;services\n")
    set_values(acme, "P-001", "csat", {"2026-09": "4.5"})  # Specialist (rank 1) in services
    set_values(acme, "P-002", "revenue", {"2026-05": "150000"})  # Silver (rank 1) in resell
    assert (
        sort_keys(acme)
        == highest_tiers(acme)
        == {ref: (None, ref) for ref in ("P-001", "P-002", "P-003")}
    )

    with scope(tenant=acme.tenant):
        resell, services = Program.objects.get(key="resell"), Program.objects.get(key="services")
        placements_recalculate(program=resell, as_of=TODAY)
        recalculation_run(run=recalculation_create(program=services, as_of=TODAY))
    assert sort_keys(acme) == highest_tiers(acme)
    assert {ref: rank for ref, (rank, _) in sort_keys(acme).items()} == {
        "P-001": 1, "P-002": 1, "P-003": 0,
    }  # fmt: skip
    assert listed_by_tier(acme) == ["P-001", "P-002", "P-003"]

    with scope(tenant=acme.tenant):
        gold = resell.tiers.get(key="gold")
        p003 = Partner.objects.get(ref="P-003")
        placement_override(
            partner=p003, tier=gold, until=TODAY.replace(year=2027), reason="Launch",
            by=None, today=TODAY,
        )  # fmt: skip
    assert sort_keys(acme)["P-003"] == (2, "P-003") == highest_tiers(acme)["P-003"]
    assert listed_by_tier(acme) == ["P-003", "P-001", "P-002"]
    assert listed_by_tier(acme, "-tier") == ["P-001", "P-002", "P-003"]

    with scope(tenant=acme.tenant):
        placement_override_clear(partner=p003, program=resell, today=TODAY)
        recalculation_undo(program=services)  # P-001 has no tier in services any more
    assert sort_keys(acme) == highest_tiers(acme)
    assert sort_keys(acme)["P-001"] == (0, "P-001")

    with scope(tenant=acme.tenant):  # Silver becomes rank 3, above a new Gold at 4
        program_load(
            tenant=acme.tenant,
            data={**PROGRAM, "tiers": [
                {**tier, "rank": {"registered": 0, "silver": 3, "gold": 4}[tier["key"]]}
                for tier in PROGRAM["tiers"]
            ]},
        )  # fmt: skip
    assert sort_keys(acme)["P-002"] == (3, "P-002") == highest_tiers(acme)["P-002"]

    import_partners(acme, "ref,name,type,programs\nP-002,Acme P-002,reseller,services\n")
    with scope(tenant=acme.tenant):
        partner_update(partner=Partner.objects.get(ref="P-003"), ref="P-000")
        partner_create(tenant=acme.tenant, ref="P-004", name="New", type="reseller")
    assert sort_keys(acme) == highest_tiers(acme)
    assert sort_keys(acme)["P-002"] == (None, "P-002"), "left the program where it was Silver"
    assert {"P-000", "P-004"} <= set(sort_keys(acme)) and "P-003" not in sort_keys(acme)

    with scope(tenant=acme.tenant):
        Partner.objects.get(ref="P-004").delete()
    assert "P-004" not in sort_keys(acme)
    assert sort_keys(globex) == {ref: (None, ref) for ref in ("P-001", "P-002", "P-003")}, (
        "another tenant's partners with the same refs are untouched"
    )


def test_the_demo_on_sqlite_keeps_the_same_key_with_row_triggers(tmp_path):
    database = tmp_path / "demo.sqlite3"
    environment = os.environ | {
        "DATABASE_URL": f"sqlite:///{database}",
        "DEBUG": "1",
        "SECRET_KEY": "sqlite-demo-" + "s" * 50,
    }
    for command in (["migrate", "--noinput", "-v0"], ["load_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=settings.BASE_DIR,
            env=environment,
            check=True,
            capture_output=True,
        )
    with sqlite3.connect(database) as demo:
        partners, placed, wrong = demo.execute(
            "SELECT count(*), count(o.rank), "
            "sum(o.ref <> p.ref OR o.rank IS NOT (SELECT max(t.rank) FROM tiers_placement pl "
            "JOIN tiers_tier t ON t.id = pl.tier_id WHERE pl.partner_id = p.id)) "
            "FROM partners_partner p JOIN tiers_partnertierorder o ON o.partner_id = p.id"
        ).fetchone()
        (everyone,) = demo.execute("SELECT count(*) FROM partners_partner").fetchone()
    assert partners == everyone > 0 and placed > 0
    assert wrong == 0
