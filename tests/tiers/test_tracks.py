"""Partner tracks: a partner in several programs at once, each placing it on its own, with its
own tier, history and benefits. Joining starts with a first evaluation ("placed"); leaving
ends the standing there ("left the program"); neither is a promotion or a demotion."""

import io

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scope

from partnerhub.csvfiles import FileRejected
from partnerhub.webhooks.models import WebhookEndpoint, WebhookEvent
from partners.services import partner_import_csv
from tiers.models import Placement, PlacementChange, Program
from tiers.programs import program_load
from tiers.services import placements_recalculate

from .conftest import TODAY, D, load, set_values

SERVICES = {
    "key": "services",
    "name": "Services Specialisation",
    "grace_days": 0,
    "metrics": [{"key": "csat", "name": "CSAT", "unit": "score"}],
    "tiers": [
        {"key": "authorised", "name": "Authorised", "rank": 0, "rule": None},
        {
            "key": "specialist",
            "name": "Specialist",
            "rank": 1,
            "rule": {"metric": "csat", "agg": "avg", "window": 6, "op": ">=", "value": "4.0"},
            "benefits": [{"title": "Co-delivery", "kind": "support"}],
        },
    ],
}


def import_partners(world, text: str):
    return partner_import_csv(tenant=world.tenant, data=text.encode())


def run(world, key: str, on=TODAY):
    with scope(tenant=world.tenant):
        return placements_recalculate(program=Program.objects.get(key=key), as_of=on)


def tracks(world) -> dict[tuple[str, str], str | None]:
    """{(partner ref, program key): tier key} for every placement of the world."""
    with scope(tenant=world.tenant):
        return {
            (p.partner.ref, p.program.key): p.tier.key if p.tier else None
            for p in Placement.objects.select_related("partner", "program", "tier")
        }


def changes(world) -> list[tuple]:
    """(ref, program, from, to, reason) of each history entry, oldest first."""
    with scope(tenant=world.tenant):
        return [
            (
                c.partner.ref,
                c.program.key,
                c.from_tier.key if c.from_tier else None,
                c.to_tier.key if c.to_tier else None,
                c.reason,
            )
            for c in PlacementChange.objects.select_related(
                "partner", "program", "from_tier", "to_tier"
            ).order_by("on", "pk")
        ]


@pytest.fixture
def two_tracks(acme, globex):
    """Acme's three partners resell; P-001 and P-002 also joined the services specialisation
    through import_partners. Globex has the same refs and programs, and stays untouched."""
    for world in (acme, globex):
        load(world)
        with scope(tenant=world.tenant):
            program_load(tenant=world.tenant, data=SERVICES)
    import_partners(
        acme,
        "ref,name,type,programs\n"
        "P-001,Acme P-001,reseller,resell;services\n"
        "P-002,Acme P-002,reseller,services; RESELL\n",
    )
    set_values(acme, "P-001", "revenue", {"2026-05": "150000"})  # Silver in resell
    set_values(acme, "P-001", "csat", {"2026-09": "4.5"})  # Specialist in services
    set_values(acme, "P-002", "csat", {"2026-09": "3.0"})
    return acme


def test_each_program_places_the_partner_on_its_own(two_tracks, globex):
    run(two_tracks, "resell")
    run(two_tracks, "services")
    assert tracks(two_tracks) == {
        ("P-001", "resell"): "silver",
        ("P-001", "services"): "specialist",
        ("P-002", "resell"): "registered",
        ("P-002", "services"): "authorised",
        ("P-003", "resell"): "registered",
    }
    assert {reason for *_, reason in changes(two_tracks)} == {"placed"}, (
        "a first evaluation in a program is a placement, never a promotion"
    )
    set_values(two_tracks, "P-001", "csat", {"2026-10": "1.0"})  # avg 2.75: not a Specialist
    with scope(tenant=two_tracks.tenant):
        resell_before = Placement.objects.get(partner__ref="P-001", program__key="resell")
    run(two_tracks, "services", on=D(2026, 11, 23))
    with scope(tenant=two_tracks.tenant):
        resell_after = Placement.objects.get(partner__ref="P-001", program__key="resell")
    assert tracks(two_tracks)[("P-001", "services")] == "authorised"
    assert (resell_after.tier_id, resell_after.evaluated_on) == (
        resell_before.tier_id,
        resell_before.evaluated_on,
    ), "a run of one program never touches the partner's placement in another"
    assert ("P-001", "services", "specialist", "authorised", "demotion") in changes(two_tracks)
    assert tracks(globex) == {(ref, "resell"): None for ref in ("P-001", "P-002", "P-003")}


def test_leaving_a_program_ends_the_standing_there_and_joining_again_starts_afresh(two_tracks):
    run(two_tracks, "resell")
    run(two_tracks, "services")
    with scope(tenant=two_tracks.tenant):
        WebhookEndpoint.objects.create(
            tenant=two_tracks.tenant,
            url="https://crm.example/hooks",
            events=["placement.changed"],
            secret="s",
        )
    result = import_partners(
        two_tracks, "ref,name,type,programs\nP-001,Acme P-001,reseller,resell\n"
    )
    assert result.updated == 1, "leaving a program is a change of the partner"
    assert ("P-001", "services") not in tracks(two_tracks)
    assert tracks(two_tracks)[("P-001", "resell")] == "silver", "its other program is untouched"
    left = [c for c in changes(two_tracks) if c[-1] == "left"]
    assert left == [("P-001", "services", "specialist", None, "left")]
    assert not [c for c in changes(two_tracks) if c[-1] in ("demotion", "grace_expiry")]
    with scope(tenant=two_tracks.tenant):
        event = WebhookEvent.objects.get()
    assert event.data | {"on": None} == {
        "partner_ref": "P-001",
        "program": "services",
        "from_tier": "specialist",
        "to_tier": None,
        "reason": "left",
        "on": None,
        "takes_effect_on": None,
    }

    import_partners(
        two_tracks, "ref,name,type,programs\nP-001,Acme P-001,reseller,resell;services\n"
    )
    assert tracks(two_tracks)[("P-001", "services")] is None, "back in, not evaluated yet"
    run(two_tracks, "services", on=two_tracks.tenant.local_today())  # the day it left and rejoined
    assert tracks(two_tracks)[("P-001", "services")] == "specialist"
    assert [c for c in changes(two_tracks) if c[:2] == ("P-001", "services")] == [
        ("P-001", "services", None, "specialist", "placed"),
        ("P-001", "services", "specialist", None, "left"),
        ("P-001", "services", None, "specialist", "placed"),
    ], "rejoining starts with a first evaluation, as a placement"


def test_import_names_unknown_programs_and_writes_nothing(two_tracks):
    before = tracks(two_tracks)
    with pytest.raises(FileRejected) as rejected:
        import_partners(
            two_tracks,
            "ref,name,type,programs\n"
            "P-001,Acme P-001,reseller,resell;servces\n"
            "P-009,New,reseller,retail\n",
        )
    assert rejected.value.lines == [
        "line 2: unknown program “servces” (did you mean “services”?)",
        "line 3: unknown program “retail” (programs: resell, services)",
    ]
    with pytest.raises(FileRejected) as both:
        import_partners(two_tracks, "ref,name,type,program,programs\nP-1,A,msp,resell,resell\n")
    assert both.value.lines == [
        "line 1: the header has both program and programs; keep one (programs takes ;)"
    ]
    with pytest.raises(FileRejected) as several:
        import_partners(two_tracks, "ref,name,type,program\nP-1,A,msp,resell;services\n")
    assert several.value.lines == [
        "line 2: program holds one key; put several in a programs column, split by ;"
    ]
    assert tracks(two_tracks) == before


def test_the_older_program_column_still_moves_a_partner_to_one_program(two_tracks):
    run(two_tracks, "services")
    import_partners(two_tracks, "ref,name,type,program\nP-002,Acme P-002,reseller,resell\n")
    assert {key for ref, key in tracks(two_tracks) if ref == "P-002"} == {"resell"}
    assert ("P-002", "services", "authorised", None, "left") in changes(two_tracks)


def command(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_commands_work_per_program(two_tracks):
    today = ("--as-of", TODAY.isoformat())
    out = command("recalculate_tiers", "--tenant", "acme", "--program", "services", *today)
    assert "services on" in out and "resell on" not in out
    assert set(tracks(two_tracks).values()) == {"specialist", "authorised", None}
    command("recalculate_tiers", "--tenant", "acme", *today)
    assert command("export_placements", "--tenant", "acme").splitlines() == [
        "program,partner_ref,tier,qualified_tier,at_risk_since,override_until",
        "resell,P-001,silver,silver,,",
        "resell,P-002,registered,registered,,",
        "resell,P-003,registered,registered,,",
        "services,P-001,specialist,specialist,,",
        "services,P-002,authorised,authorised,,",
    ]
    only = command("export_placements", "--tenant", "acme", "--program", "services")
    assert len(only.splitlines()) == 3
    with pytest.raises(CommandError, match=r"in 2 programs \(resell, services\); name one"):
        command(
            "override_tier", "--tenant", "acme", "--partner", "P-001", "--tier", "specialist",
            "--until", "2099-01-01", "--reason", "Launch",
        )  # fmt: skip
    command(
        "override_tier", "--tenant", "acme", "--partner", "P-001", "--program", "services",
        "--tier", "specialist", "--until", "2099-01-01", "--reason", "Launch",
    )  # fmt: skip
    with pytest.raises(CommandError, match="not in a program “servce” \\(did you mean"):
        command(
            "override_tier", "--tenant", "acme", "--partner", "P-001", "--program", "servce",
            "--clear",
        )  # fmt: skip


def test_the_partner_page_shows_each_program_on_its_own_tab(two_tracks):
    run(two_tracks, "resell")
    run(two_tracks, "services")
    manager = two_tracks.client_for(two_tracks.manager)
    url = f"/o/acme/partners/{two_tracks.partners['P-001'].pk}/"
    first = manager.get(url).content.decode()
    assert 'aria-label="Programs"' in first
    assert 'Reseller Program <span class="muted">· Silver</span>' in first
    assert "Toward Gold" in first, "the first program by name is shown"
    services = manager.get(url, {"program": "services"}).content.decode()
    assert "Co-delivery" in services and "Toward Gold" not in services
    assert '?program=services" aria-current="page"' in services
    assert manager.get(url, {"program": "retail"}).status_code == 404
    partner = two_tracks.client_for(two_tracks.partner_user)
    home = partner.get("/o/acme/", {"program": "services"}).content.decode()
    assert "Specialist" in home and "Co-delivery" in home
    one_track = manager.get(f"/o/acme/partners/{two_tracks.partners['P-003'].pk}/")
    assert 'aria-label="Programs"' not in one_track.content.decode()


def test_an_override_holds_the_partner_in_one_program_only(two_tracks):
    run(two_tracks, "resell")
    run(two_tracks, "services")
    manager = two_tracks.client_for(two_tracks.manager)
    url = f"/o/acme/partners/{two_tracks.partners['P-002'].pk}/override/"
    with scope(tenant=two_tracks.tenant):
        specialist = Program.objects.get(key="services").tiers.get(key="specialist")
    page = manager.get(url, {"program": "services"}).content.decode()
    assert "Override Acme P-002's tier in Services Specialisation" in page
    response = manager.post(
        url,
        {
            "program": "services",
            "action": "set",
            "tier": specialist.pk,
            "until": "2027-03-01",
            "reason": "Launch partner",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?program=services")
    assert tracks(two_tracks)[("P-002", "services")] == "specialist"
    assert tracks(two_tracks)[("P-002", "resell")] == "registered"


def test_the_partner_form_moves_a_partner_between_programs_with_history(two_tracks):
    run(two_tracks, "services")
    manager = two_tracks.client_for(two_tracks.manager)
    partner = two_tracks.partners["P-002"]
    url = f"/o/acme/partners/{partner.pk}/edit/"
    with scope(tenant=two_tracks.tenant):
        resell = Program.objects.get(key="resell")
    form = manager.get(url).content.decode()
    assert 'name="programs"' in form and "checked" in form
    response = manager.post(
        url,
        {
            "ref": "P-002",
            "name": "Acme P-002",
            "type": "reseller",
            "region": "EMEA",
            "status": "active",
            "joined_on": "2024-01-15",
            "programs": [resell.pk],
        },
    )
    assert response.status_code == 302
    assert {key for ref, key in tracks(two_tracks) if ref == "P-002"} == {"resell"}
    with scope(tenant=two_tracks.tenant):
        left = PlacementChange.objects.get(partner=partner, reason="left")
    assert (left.program.key, left.from_tier.key, left.by) == (
        "services",
        "authorised",
        two_tracks.manager.user,
    )
    page = manager.get(f"/o/acme/partners/{partner.pk}/").content.decode()
    assert "Left the program" in page and "<th>Program</th>" in page
