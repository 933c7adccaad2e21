"""A run in chunks: a large program is evaluated a range of partners at a time (its memory
bounded), the next range's facts read while this one is evaluated, and applied as one."""

import pytest
from django_scopes import scope

from tiers import evaluation
from tiers.models import Placement, PlacementChange, Program
from tiers.services import placements_recalculate

from .conftest import TODAY, certify, load, set_values, tiers_now

# Committed rows: the facts of the next chunk are read on a second connection.
pytestmark = pytest.mark.django_db(transaction=True)

REVENUES = ["0", "99999", "100000", "250000", "250000", "40000", "180000", "120000"]


def program_with_spread(world):
    """The shared refs and five more, with revenue from nothing to Gold's, CSAT and people."""
    from tests.factories import PartnerFactory

    program = load(world)
    with scope(tenant=world.tenant):
        for n in range(4, 9):
            PartnerFactory(tenant=world.tenant, ref=f"P-00{n}", program=program)
    for n, revenue in enumerate(REVENUES, start=1):
        set_values(world, f"P-00{n}", "revenue", {"2026-03": revenue})
        set_values(world, f"P-00{n}", "csat", {"2026-09": f"{3 + n % 3}.5"})
    certify(world, "P-004", "a@p.test", "b@p.test")
    certify(world, "P-005", "a@p.test")
    return program


def placed(world) -> dict[str, tuple]:
    with scope(tenant=world.tenant):
        return {
            ref: (tier, qualified, explanation)
            for ref, tier, qualified, explanation in Placement.objects.values_list(
                "partner__ref", "tier__key", "qualified_tier__key", "explanation"
            )
        }


def test_a_program_run_in_chunks_places_every_partner_as_one_chunk_would(acme, globex, monkeypatch):
    in_chunks, whole = program_with_spread(acme), program_with_spread(globex)
    monkeypatch.setattr(evaluation, "RUN_CHUNK", 3)
    assert [count for _, _, count in evaluation.partner_chunks(in_chunks)] == [3, 3, 2]
    with scope(tenant=acme.tenant):
        chunked = placements_recalculate(program=in_chunks, as_of=TODAY)
    monkeypatch.setattr(evaluation, "RUN_CHUNK", 5_000)
    with scope(tenant=globex.tenant):
        one = placements_recalculate(program=whole, as_of=TODAY)

    assert placed(acme) == placed(globex)
    assert {tier for tier, _ in tiers_now(acme).values()} == {"registered", "silver", "gold"}
    assert chunked.as_dict() | {"as_of": None} == one.as_dict() | {"as_of": None}
    assert [c.partner_ref for c in chunked.changes] == [f"P-00{n}" for n in range(1, 9)]
    with scope(tenant=acme.tenant):
        assert PlacementChange.objects.count() == 8


def test_a_date_run_again_in_chunks_starts_from_before_that_date(acme, monkeypatch):
    """The standing before the date is read in SQL now (not from each placement's JSON in
    Python); a rerun after a correction still ends where one clean run would."""
    program = program_with_spread(acme)
    monkeypatch.setattr(evaluation, "RUN_CHUNK", 2)
    with scope(tenant=acme.tenant):
        placements_recalculate(program=program, as_of=TODAY)
    first = placed(acme)
    set_values(acme, "P-003", "revenue", {"2026-03": "0"})
    with scope(tenant=acme.tenant):
        program = Program.objects.get(pk=program.pk)
        again = placements_recalculate(program=program, as_of=TODAY)
        before = Placement.objects.get(partner__ref="P-003").before_evaluation
    assert (again.placed, placed(acme)["P-003"][0]) == (8, "registered")
    assert before["tier"] is None, "the standing before the date's first run: not placed"
    assert placed(acme)["P-004"] == first["P-004"]
